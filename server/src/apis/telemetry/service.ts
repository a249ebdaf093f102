import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ingestBatch } from "../ingest-batch.js";
import { Rejections } from "../ingest-result.js";
import { decodeHistogram, notFound, parseAggregatesQuery, requirePrefix } from "./request.js";
import {
  GetAggregatesResponseSchema,
  GetFiltersResponseSchema,
  IngestHistogramsResponseSchema,
  ListChannelsResponseSchema,
  ListDatesResponseSchema,
  PutMetricDefinitionsResponseSchema,
  type TelemetryService,
  type GetAggregatesRequest,
  type GetFiltersRequest,
  type IngestHistogramsRequest,
  type ListChannelsRequest,
  type ListDatesRequest,
  type PutMetricDefinitionsRequest,
} from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import type { TenantScopeFactory } from "../../db/tenant-scope.js";
import { invalidArgument } from "../../platform/errors.js";
import { buildAggregatesPipeline, buildMergeUpdate } from "./pipeline.js";

import type { DefinitionDoc } from "./definition-doc.js";

/** The largest count or bucket value one histogram may carry: sums of them stay exact doubles for long. */

/** What must agree for two definitions' histograms to be added bucket by bucket. */
function layoutOf(d: DefinitionDoc): string {
  return JSON.stringify([d.kind, d.kind === "categorical" ? d.labels : d.buckets]);
}

/** A stored count as int64: an integer within range, else a clear error naming where it is. */
function int64Of(v: unknown, where: string): bigint {
  if (typeof v !== "number" || !Number.isInteger(v) || Math.abs(v) >= 2 ** 63) {
    throw new ConnectError(`stored counts of ${where} are out of the int64 range`, Code.FailedPrecondition);
  }
  return BigInt(v);
}

const kinds = ["flag", "boolean", "count", "enumerated", "linear", "exponential", "categorical"];
const namePattern = /^[A-Za-z0-9_.:-]{1,200}$/;
const MAX_BATCH = 20_000;
/** Buckets one metric may have: a read sums each in its own accumulator. */
const MAX_BUCKETS = 1000;

/** Mozilla's telemetry aggregates over the caller's histograms. */
export class TelemetryServiceImpl implements ServiceImpl<typeof TelemetryService> {
  constructor(private readonly scopes: TenantScopeFactory) {}

  async listChannels(req: ListChannelsRequest, ctx: HandlerContext) {
    requirePrefix(req.prefix);
    const rows = await this.scopes(ctx).aggregate<{ _id: string }>("histograms", [
      { $match: { prefix: req.prefix } },
      { $group: { _id: "$channel" } },
      { $sort: { _id: 1 } },
    ]);
    return create(ListChannelsResponseSchema, { channels: rows.map((r) => r._id) });
  }

  async listDates(req: ListDatesRequest, ctx: HandlerContext) {
    requirePrefix(req.prefix);
    const rows = await this.scopes(ctx).aggregate<{ _id: { date: string; version: string } }>("histograms", [
      { $match: { prefix: req.prefix, channel: req.channel } },
      { $group: { _id: { date: "$date", version: "$version" } } },
      { $sort: { "_id.date": -1, "_id.version": -1 } },
    ]);
    if (rows.length === 0) throw notFound(`No data for channel ${req.channel}`);
    return create(ListDatesResponseSchema, { dates: rows.map((r) => r._id) });
  }

  async getFilters(req: GetFiltersRequest, ctx: HandlerContext) {
    if (!req.channel || !req.version) throw notFound("Missing channel or version. Both are required.");
    const distinct = (f: unknown) => ({ $addToSet: f });
    const rows = await this.scopes(ctx).aggregate<Record<string, string[]>>("histograms", [
      { $match: { channel: req.channel, version: req.version } },
      {
        $group: {
          _id: null,
          metric: distinct("$metric"),
          application: distinct("$application"),
          architecture: distinct("$architecture"),
          os: distinct({ $concat: ["$os", ",", "$osVersion"] }),
          child: distinct("$child"),
        },
      },
    ]);
    const r = rows[0];
    if (!r) throw notFound(`No data for channel ${req.channel} and version ${req.version}`);
    const sorted = (xs: string[]) => xs.filter((x) => x !== "" && x !== ",").sort();
    return create(GetFiltersResponseSchema, {
      metric: sorted(r.metric!),
      application: sorted(r.application!),
      architecture: sorted(r.architecture!),
      os: sorted(r.os!),
      child: sorted(r.child!),
    });
  }

  async getAggregates(req: GetAggregatesRequest, ctx: HandlerContext) {
    const q = parseAggregatesQuery(req);
    const scope = this.scopes(ctx);
    // Each tenant defines its own metrics; a read over several tenants that define this one with
    // different bucket layouts cannot add their histograms up, and says so.
    const defs = await scope.aggregate<DefinitionDoc>("metric_definitions", [
      { $match: { name: req.metric } },
      { $limit: 1000 },
    ]);
    const def = defs[0];
    if (!def) throw notFound(`Unknown metric: ${req.metric}`);
    if (defs.some((d) => layoutOf(d) !== layoutOf(def))) {
      throw new ConnectError(
        `${req.metric} is defined with different bucket layouts by the tenants this read covers; their histograms cannot be added up`,
        Code.FailedPrecondition,
      );
    }
    const length = def.kind === "categorical" ? def.labels.length : def.buckets.length;
    if (length > MAX_BUCKETS)
      throw new ConnectError(
        `${req.metric} has more than ${MAX_BUCKETS} buckets; redefine it`,
        Code.FailedPrecondition,
      );
    const data = await scope.aggregate<{
      date: string;
      label: string;
      count: number;
      sum: number;
      histogram: number[];
      minLength: number;
      maxLength: number;
    }>("histograms", buildAggregatesPipeline(q.match, length), { allowDiskUse: true });
    if (data.length === 0) throw notFound("No data for the requested dates and filters");
    const res = create(GetAggregatesResponseSchema, {
      buckets: def.kind === "categorical" ? def.labels : def.buckets.map(String),
      kind: def.kind,
      description: def.description,
      data: data.map((d) => {
        // Whatever is stored, a read answers or names what is wrong; it never fails as Internal.
        const where = `${req.metric} on ${d.date}${d.label ? ` (label ${d.label})` : ""}`;
        if (d.minLength !== length || d.maxLength !== length) {
          throw new ConnectError(
            `stored histograms of ${where} have bucket layouts that do not match the definition`,
            Code.FailedPrecondition,
          );
        }
        return {
          date: d.date,
          label: d.label,
          count: int64Of(d.count, where),
          sum: d.sum,
          histogram: d.histogram.map((n) => int64Of(n, where)),
        };
      }),
    });
    return res;
  }

  async putMetricDefinitions(req: PutMetricDefinitionsRequest, ctx: HandlerContext) {
    const scope = this.scopes(ctx);
    const rejections = new Rejections();
    const reject = rejections.add.bind(rejections);
    const items = [];
    for (const [i, m] of req.metrics.entries()) {
      if (!namePattern.test(m.name)) reject(i, "name", "metric names are 1-200 letters, digits, '_', '.', ':' or '-'");
      else if (!kinds.includes(m.kind)) reject(i, "kind", `kind must be one of ${kinds.join(", ")}`);
      else if (m.kind === "categorical" ? m.labels.length === 0 : m.buckets.length === 0)
        reject(i, m.kind === "categorical" ? "labels" : "buckets", "at least one bucket is required");
      else if ((m.kind === "categorical" ? m.labels.length : m.buckets.length) > MAX_BUCKETS)
        reject(i, m.kind === "categorical" ? "labels" : "buckets", `at most ${MAX_BUCKETS} buckets per metric`);
      else if (m.kind !== "categorical" && m.buckets.some((b, j) => j > 0 && b <= m.buckets[j - 1]!))
        reject(i, "buckets", "bucket lower bounds must increase");
      else
        items.push({
          key: { name: m.name },
          doc: {
            kind: m.kind,
            buckets: [...m.buckets],
            labels: [...m.labels],
            description: m.description,
            keyed: m.keyed,
          },
        });
    }
    const counts = await scope.upsertMany("metric_definitions", scope.writeTenant(), items);
    return create(PutMetricDefinitionsResponseSchema, { result: rejections.result(counts) });
  }

  async ingestHistograms(req: IngestHistogramsRequest, ctx: HandlerContext) {
    if (!req.batchId) throw invalidArgument("batch_id is required: it makes re-sending a batch safe", "batch_id");
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant();
    let defs: Map<string, DefinitionDoc> | undefined;
    const result = await ingestBatch(scope, {
      api: "telemetry",
      batchId: req.batchId,
      collection: "histograms",
      items: req.histograms,
      max: MAX_BATCH,
      tooMany: () => invalidArgument(`at most ${MAX_BATCH} histograms per batch`, "histograms"),
      decode: async (h) => {
        defs ??= new Map(
          (await scope.aggregate<DefinitionDoc>("metric_definitions", [], { tenantIds: [tenantId] })).map((d) => [
            d.name,
            d,
          ]),
        );
        const { key, value } = decodeHistogram(h, defs.get(h.metric));
        return { tenantId, key, value };
      },
      // Submissions for one key within the batch are added up first, so each key gets one atomic merge.
      merge: (a, b) => ({
        histogram: a.histogram.map((n, j) => n + b.histogram[j]!),
        sum: a.sum + b.sum,
        count: a.count + b.count,
      }),
      // Additive merges are guarded per document: each remembers the batches merged into it, so a batch
      // run again (after a failure before its completion mark) adds nothing twice.
      write: (m) => ({
        guard: { batches: { $ne: req.batchId } },
        pipeline: buildMergeUpdate(m.histogram, m.sum, m.count, req.batchId),
      }),
      guardedDuplicates: true,
    });
    return create(IngestHistogramsResponseSchema, { result });
  }
}

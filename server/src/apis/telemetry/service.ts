import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ItemRefused, ingestBatch } from "../ingest-batch.js";
import { Rejections } from "../ingest-result.js";
import {
  bucketCount,
  decodeDefinition,
  decodeHistogram,
  notFound,
  parseAggregatesQuery,
  requirePrefix,
} from "./request.js";
import { type AggregateRow, type FilterValues, aggregatesResponse, filtersResponse } from "./convert.js";
import {
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
import { buildAggregatesPipeline, buildFiltersPipeline, buildMergeUpdate } from "./pipeline.js";

import type { DefinitionDoc } from "./definition-doc.js";

const MAX_BATCH = 20_000;

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
    const rows = await this.scopes(ctx).aggregate<FilterValues>(
      "histograms",
      buildFiltersPipeline(req.channel, req.version),
    );
    const r = rows[0];
    if (!r) throw notFound(`No data for channel ${req.channel} and version ${req.version}`);
    return filtersResponse(r);
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
    const length = bucketCount(req.metric, defs);
    const data = await scope.aggregate<AggregateRow>("histograms", buildAggregatesPipeline(q.match, length), {
      allowDiskUse: true,
    });
    if (data.length === 0) throw notFound("No data for the requested dates and filters");
    return aggregatesResponse(req.metric, defs[0]!, data);
  }

  async putMetricDefinitions(req: PutMetricDefinitionsRequest, ctx: HandlerContext) {
    const scope = this.scopes(ctx);
    const rejections = new Rejections();
    const reject = rejections.add.bind(rejections);
    const items = [];
    for (const [i, m] of req.metrics.entries()) {
      try {
        items.push(decodeDefinition(m));
      } catch (e) {
        if (!(e instanceof ItemRefused)) throw e;
        reject(i, e.field, e.message);
      }
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

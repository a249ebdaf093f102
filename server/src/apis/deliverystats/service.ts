import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ItemRefused, ingestBatch } from "../ingest-batch.js";
import {
  type DeliveryStatsService,
  GetDeliveryServiceStatsResponseSchema,
  IngestDeliveryServiceStatsResponseSchema,
  RegisterDeliveryServiceResponseSchema,
  type GetDeliveryServiceStatsRequest,
  type IngestDeliveryServiceStatsRequest,
  type RegisterDeliveryServiceRequest,
} from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import type { Document } from "mongodb";
import type { ScopeOptions, TenantScope, TenantScopeFactory } from "../../db/tenant-scope.js";
import { invalidArgument } from "../../platform/errors.js";
import { toSeries, toSummary } from "./convert.js";
import {
  buildRanksPipeline,
  buildSeriesPipeline,
  buildStatsPipeline,
  percentileRank,
  type SummaryDoc,
} from "./pipeline.js";
import { DEFAULT_MAX_SERIES_VALUES, metricTypes, parseStatsQuery, seriesWindow } from "./request.js";

interface DeliveryServiceDoc {
  xmlId: string;
  id: number;
  tenantId: string;
}

const xmlIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const cachegroupPattern = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_POINTS = 100_000;

/** Traffic Ops' delivery-service statistics over 1-minute points. */
export class DeliveryStatsServiceImpl implements ServiceImpl<typeof DeliveryStatsService> {
  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly maxSeriesValues = DEFAULT_MAX_SERIES_VALUES,
  ) {}

  async getDeliveryServiceStats(req: GetDeliveryServiceStatsRequest, ctx: HandlerContext) {
    const q = parseStatsQuery(req, this.maxSeriesValues);
    const scope = this.scopes(ctx);
    const ds = await findDeliveryService(scope, q.ds);
    if (!ds)
      throw new ConnectError(`No such Delivery Service: ${"xmlId" in q.ds ? q.ds.xmlId : q.ds.id}`, Code.NotFound);
    const startMs = Number((q.startNs + 999_999n) / 1_000_000n);
    const endMs = Number(q.endNs / 1_000_000n);
    // Traffic Ops reads the `total` cache group (stored without a cache group).
    const match = {
      ds: ds.xmlId,
      metric: q.metric,
      cachegroup: null,
      time: { $gte: new Date(startMs), $lte: new Date(endMs) },
    };
    const window = seriesWindow(q);
    // Grouping a long range by bucket may pass 100 MB of state on MongoDB: let it spill.
    const opts = { tenantIds: [ds.tenantId], allowDiskUse: true };
    const [buckets, summary] = await Promise.all([
      q.excludeSeries
        ? Promise.resolve(undefined)
        : scope.aggregate<{ _id: number; mean: number }>(
            "ds_points",
            buildSeriesPipeline(match, q.intervalSeconds * 1000, window.offsetMs),
            opts,
          ),
      q.excludeSummary ? Promise.resolve(undefined) : summarize(scope, match, opts).then((doc) => ({ doc })),
    ]);
    return create(GetDeliveryServiceStatsResponseSchema, {
      series: buckets ? toSeries(buckets, q, window) : undefined,
      summary: summary ? toSummary(summary.doc, q.metric) : undefined,
      source: "TrafficStats",
      version: "1.2",
    });
  }

  async ingestDeliveryServiceStats(req: IngestDeliveryServiceStatsRequest, ctx: HandlerContext) {
    const scope = this.scopes(ctx);
    const owners = new Map<string, DeliveryServiceDoc | undefined>();
    // Points go to their delivery service's tenant, one per (service, metric, cache group, minute);
    // several samples of one minute are stored as their mean.
    const result = await ingestBatch(scope, {
      api: "delivery-stats",
      batchId: req.batchId,
      collection: "ds_points",
      items: req.points,
      max: MAX_POINTS,
      tooMany: () => invalidArgument(`at most ${MAX_POINTS} points per batch`, "points"),
      decode: async (p) => {
        if (!(metricTypes as readonly string[]).includes(p.metricType))
          throw new ItemRefused("metricType", `Metric is not supported: ${p.metricType}`);
        if (!p.time) throw new ItemRefused("time", "time is required");
        if (!Number.isFinite(p.value)) throw new ItemRefused("value", "value must be a finite number");
        if (!owners.has(p.deliveryService))
          owners.set(p.deliveryService, await findDeliveryService(scope, { xmlId: p.deliveryService }));
        const ds = owners.get(p.deliveryService);
        if (!ds) throw new ItemRefused("deliveryService", `No such Delivery Service: ${p.deliveryService}`);
        if (p.cachegroup !== "" && !cachegroupPattern.test(p.cachegroup))
          throw new ItemRefused("cachegroup", "cachegroup: 1-64 letters, digits, '.', '-' or '_'");
        const ms = timestampDate(p.time).getTime();
        const time = new Date(ms - (((ms % 60_000) + 60_000) % 60_000));
        const cachegroup = p.cachegroup === "" || p.cachegroup === "total" ? null : p.cachegroup;
        return {
          tenantId: ds.tenantId,
          key: { ds: ds.xmlId, metric: p.metricType, cachegroup, time },
          value: { sum: p.value, n: 1 },
        };
      },
      merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      write: (m) => ({ doc: { value: m.sum / m.n, samples: m.n } }),
    });
    return create(IngestDeliveryServiceStatsResponseSchema, { result });
  }

  async registerDeliveryService(req: RegisterDeliveryServiceRequest, ctx: HandlerContext) {
    if (!xmlIdPattern.test(req.xmlId))
      throw invalidArgument("xmlId: 1-48 letters, digits, '-' or '_', starting with a letter or digit", "xml_id");
    if (req.id < 0n || req.id > 2_147_483_647n) throw invalidArgument("id: must be between 1 and 2147483647", "id");
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant(req.tenantId);
    const existing = await findDeliveryService(scope, { xmlId: req.xmlId });
    if (existing) {
      return create(RegisterDeliveryServiceResponseSchema, {
        xmlId: existing.xmlId,
        id: BigInt(existing.id),
        tenantId: existing.tenantId,
      });
    }
    if (req.id > 0n) {
      // An explicit id must be free: ids are unique, so a lookup by id finds exactly one service.
      const id = Number(req.id);
      await scope.insert("delivery_services", tenantId, { xmlId: req.xmlId, id }).catch((e: unknown) => {
        throw ConnectError.from(e).code === Code.AlreadyExists
          ? new ConnectError(
              `a delivery service with id ${id} or xmlId ${req.xmlId} already exists`,
              Code.AlreadyExists,
            )
          : e;
      });
      return create(RegisterDeliveryServiceResponseSchema, { xmlId: req.xmlId, id: BigInt(id), tenantId });
    }
    // The sequence skips ids that were chosen explicitly before.
    for (let attempt = 0; ; attempt++) {
      const id = await scope.nextSequence("delivery_service");
      try {
        await scope.insert("delivery_services", tenantId, { xmlId: req.xmlId, id });
        return create(RegisterDeliveryServiceResponseSchema, { xmlId: req.xmlId, id: BigInt(id), tenantId });
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code !== Code.AlreadyExists || attempt >= 100) throw e;
        // Taken xmlId (another tenant's: xmlIds are global): no new id will help.
        if (/xml_id|xmlId/.test(String((err.cause as Error | undefined)?.message)))
          throw new ConnectError(`delivery service ${req.xmlId} already exists`, Code.AlreadyExists);
      }
    }
  }
}

/** A delivery service the caller may read, by xmlId or numeric id; undefined when unknown or foreign (the same answer). */
async function findDeliveryService(
  scope: TenantScope,
  by: { xmlId: string } | { id: number },
): Promise<DeliveryServiceDoc | undefined> {
  const rows = await scope.aggregate<DeliveryServiceDoc>("delivery_services", [
    { $match: "xmlId" in by ? { xmlId: by.xmlId } : { id: by.id } },
    { $limit: 1 },
  ]);
  return rows[0];
}

/**
 * The summary in two steps that each hold a bounded amount: the statistics, then each percentile by
 * its rank in the count just read (a point ingested in between can move a rank by one; a rank read
 * past the end falls back to the extreme).
 */
async function summarize(
  scope: TenantScope,
  match: Document,
  opts: ScopeOptions & { tenantIds: readonly string[] },
): Promise<SummaryDoc | undefined> {
  const [stats] = await scope.aggregate<Omit<SummaryDoc, "p5" | "p95" | "p98">>(
    "ds_points",
    buildStatsPipeline(match),
    opts,
  );
  if (!stats || stats.count === 0) return undefined;
  const ranks = [5, 95, 98].map((p) => percentileRank(stats.count, p));
  const wanted = ranks.filter((r) => r >= 0);
  const rows = wanted.length
    ? await scope.aggregate<{ rank: number; value: number }>("ds_points", buildRanksPipeline(match, wanted), opts)
    : [];
  const byRank = new Map(rows.map((r) => [r.rank - 1, r.value]));
  // Too few points for a rank: Traffic Ops reports 0; a rank past the end (points removed since the
  // count) falls back to the extreme.
  const at = (rank: number, fallback: number) => (rank < 0 ? 0 : (byRank.get(rank) ?? fallback));
  const [p5, p95, p98] = [at(ranks[0]!, stats.min), at(ranks[1]!, stats.max), at(ranks[2]!, stats.max)];
  return { ...stats, p5, p95, p98 };
}

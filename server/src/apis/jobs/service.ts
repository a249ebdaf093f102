import { setMaxListeners } from "node:events";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ingestBatch } from "../ingest-batch.js";
import {
  AggregateJobsResponseSchema,
  IngestJobsResponseSchema,
  type JobsService,
  type AggregateJobsRequest,
  type IngestJobsRequest,
} from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { Document } from "mongodb";
import type { TenantScopeFactory } from "../../db/tenant-scope.js";
import { type AggNode, buildAggTree } from "./agg-tree.js";
import { applyAutoInterval, chooseInterval, rangeStages } from "./auto-date-histogram.js";
import { Assembler, type Row } from "./convert.js";
import { esError, isTooLarge, tooManyBucketsForSize } from "./es-error.js";
import { kPreRejected } from "./pre-rejected.js";
import { toJobDoc } from "./job-doc.js";
import { type Plan, assertSecondReads, facetPipeline, planAggregations } from "./pipeline.js";
import { assertQueryBudget, defaultQueryLimits, type QueryLimits } from "./query.js";
import { leadingMatch } from "./request.js";

/** How the per-aggregation pipelines run: one aggregate each, concurrently (default), or one `$facet`. */
export type AggStrategy = "concurrent" | "facet";

const MAX_BATCH = 10_000;

/** Job aggregations with an Elasticsearch-style DSL. */
export class JobsServiceImpl implements ServiceImpl<typeof JobsService> {
  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly strategy: AggStrategy = "concurrent",
    private readonly limits: QueryLimits = defaultQueryLimits,
  ) {}

  async aggregateJobs(req: AggregateJobsRequest, ctx: HandlerContext) {
    assertQueryBudget(req, this.limits);
    const match = leadingMatch(req);
    const tree = buildAggTree(req.aggs);
    assertSecondReads(tree);
    const scope = this.scopes(ctx);
    const opts = { allowDiskUse: true };
    await resolveAutoHistograms(tree, (stages) => scope.aggregate("jobs", [{ $match: match }, ...stages], opts));
    const plan = planAggregations(tree);
    let rootRows: Document[];
    const nodeRows = new Map<number, Document[]>();
    const distinctRows = new Map<number, { owner: number | null; rows: Document[] }>();
    if (this.strategy === "facet") {
      const [doc] = await scope
        .aggregate("jobs", [{ $match: match }, ...facetPipeline(plan)], opts)
        .catch((e: unknown) => {
          // One $facet answer is one document: more buckets than fit in 16 MiB is too many buckets.
          throw isTooLarge(e) ? tooManyBucketsForSize() : e;
        });
      rootRows = (doc?.root as Document[] | undefined) ?? [];
      for (const id of plan.nodes.keys()) nodeRows.set(id, (doc?.[`n${id}`] as Document[] | undefined) ?? []);
      for (const [id, d] of plan.distinct)
        distinctRows.set(id, { owner: d.owner, rows: (doc?.[`d${id}`] as Document[] | undefined) ?? [] });
    } else {
      const ids = [...plan.nodes.keys()];
      const distinctIds = [...plan.distinct.keys()];
      const pipelines = [
        plan.root,
        ...ids.map((id) => plan.nodes.get(id)!),
        ...distinctIds.map((id) => plan.distinct.get(id)!.stages),
      ];
      // Each of the concurrent aggregations listens for the call's abort.
      setMaxListeners(pipelines.length + 10, ctx.signal);
      const all = await Promise.all(
        pipelines.map((stages) => scope.aggregate("jobs", [{ $match: match }, ...stages], opts)),
      );
      rootRows = all[0]!;
      for (const [i, id] of ids.entries()) nodeRows.set(id, all[i + 1]!);
      for (const [i, id] of distinctIds.entries())
        distinctRows.set(id, { owner: plan.distinct.get(id)!.owner, rows: all[ids.length + 1 + i]! });
    }
    await readDeviations(plan, rootRows, nodeRows, (stages) =>
      scope.aggregate("jobs", [{ $match: match }, ...stages], opts),
    );
    const assembler = new Assembler(tree, rootRows[0] as Row | undefined, nodeRows, distinctRows);
    const aggregations = assembler.results();
    return create(AggregateJobsResponseSchema, { data: { total: BigInt(assembler.total), aggregations } });
  }

  async ingestJobs(req: IngestJobsRequest, ctx: HandlerContext) {
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant();
    // Within one batch the last item for a job id wins, as a later batch would.
    const result = await ingestBatch(scope, {
      api: "jobs",
      batchId: req.batchId,
      collection: "jobs",
      items: req.jobs,
      max: MAX_BATCH,
      tooMany: () => esError(`at most ${MAX_BATCH} jobs per request`),
      refused: ctx.values.get(kPreRejected),
      decode: (j) => {
        const doc = toJobDoc(j);
        return { tenantId, key: { jobId: doc.jobId }, value: doc };
      },
      write: (doc) => ({ doc }),
    });
    return create(IngestJobsResponseSchema, { result });
  }
}

/**
 * Each top-level auto_date_histogram reads its field's range first (one `$group` of min and max,
 * served by the same index as the request), then becomes the date histogram that range calls for.
 */
async function resolveAutoHistograms(
  tree: readonly AggNode[],
  read: (stages: Document[]) => Promise<Document[]>,
): Promise<void> {
  for (const n of tree) {
    if (n.type !== "bucket" || n.spec.kind !== "date_histogram" || !n.spec.auto) continue;
    const s = n.spec;
    const [range] = await read(rangeStages(s));
    const lo = range?.lo instanceof Date ? range.lo.getTime() : undefined;
    const hi = range?.hi instanceof Date ? range.hi.getTime() : undefined;
    const now = Date.now();
    applyAutoInterval(s, chooseInterval(lo ?? now, hi ?? lo ?? now, s.auto!.target, s.auto!.minimum, s.timeZone));
  }
}

/**
 * median_absolute_deviation's second read: with the median the first read found in its owner's row,
 * the median of the absolute deviations, written back into that row as `m<id>`.
 */
async function readDeviations(
  plan: Plan,
  rootRows: Document[],
  nodeRows: ReadonlyMap<number, Document[]>,
  read: (stages: Document[]) => Promise<Document[]>,
): Promise<void> {
  for (const [id, mad] of plan.mad) {
    const row = mad.owner === null ? rootRows[0] : nodeRows.get(mad.owner)?.[0];
    const median = (row?.[`m${id}_median`] as unknown[] | undefined)?.[0];
    if (!row || typeof median !== "number") continue;
    const [out] = await read(mad.stages(median));
    row[`m${id}`] = (out?.mad as unknown[] | undefined)?.[0] ?? null;
  }
}

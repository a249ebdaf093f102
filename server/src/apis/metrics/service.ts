import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { RejectionSchema } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import { ItemRefused, ingestBatch } from "../ingest-batch.js";
import {
  GetPlotDataResponseSchema,
  IngestMetricEventsResponseSchema,
  IngestMetricRowsResponseSchema,
  ListMetricsTypesResponseSchema,
  type MetricsService,
  MetricsTypeDetailsSchema,
  PlotDataResultSchema,
  type GetMetricsTypeRequest,
  type GetPlotDataRequest,
  type IngestMetricEventsRequest,
  type IngestMetricRowsRequest,
  type ListMetricsTypesRequest,
} from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import type { TenantScope, TenantScopeFactory } from "../../db/tenant-scope.js";
import { invalidArgument } from "../../platform/errors.js";
import { metricsTypes, type ColumnDef } from "./catalogue.js";
import { choiceFromDoc, choiceToDoc, columnMessage, typeMessage, type ChoiceDoc } from "./convert.js";
import { buildPlotPipeline, buildRollupPipeline, eventMeasures } from "./pipeline.js";
import { pageOf, parsePlotQuery, requireType } from "./request.js";

/** The catalogue as messages, built once: it is static, and handlers never mutate what they return. */
const catalogue = metricsTypes.map(typeMessage);

const MAX_BATCH = 50_000;
const HOUR = 3_600_000;

/** Scale's v6 metrics over the caller's choices and hourly rows. */
export class MetricsServiceImpl implements ServiceImpl<typeof MetricsService> {
  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly now: () => Date = () => new Date(),
  ) {}

  listMetricsTypes(req: ListMetricsTypesRequest) {
    const pg = pageOf(req.page, req.pageSize, metricsTypes.length);
    return create(ListMetricsTypesResponseSchema, {
      count: BigInt(metricsTypes.length),
      results: catalogue.slice(pg.start, pg.end),
      // Absolute next/previous URLs are the REST layer's: it knows the request URL.
    });
  }

  async getMetricsType(req: GetMetricsTypeRequest, ctx: HandlerContext) {
    const def = requireType(req.name);
    const scope = this.scopes(ctx);
    const choices = await loadChoices(scope, def.name);
    const { $typeName: _t, ...type } = typeMessage(def);
    return create(MetricsTypeDetailsSchema, { ...type, choices: choices.map(choiceFromDoc) });
  }

  async getPlotData(req: GetPlotDataRequest, ctx: HandlerContext) {
    const { def, started, ended, columns } = parsePlotQuery(req, this.now());
    const scope = this.scopes(ctx);
    const choiceIds = [...new Set(req.choiceId)];
    if (choiceIds.length) {
      const known = new Set((await loadChoices(scope, def.name)).map((c) => c.choiceId));
      const unknown = choiceIds.filter((id) => !known.has(id));
      if (unknown.length) throw invalidArgument(`Invalid choice_id: ${unknown.join(", ")}`, "choice_id");
    }
    const match: Record<string, unknown> = {
      type: def.name,
      hour: { ...(started ? { $gte: new Date(Math.floor(started.getTime() / HOUR) * HOUR) } : {}), $lte: ended },
    };
    if (choiceIds.length) match.choiceId = { $in: choiceIds };
    const perChoice = choiceIds.length >= 2;
    const rows = await scope.aggregate("metric_rows", buildPlotPipeline(match, columns, !perChoice), {
      allowDiskUse: true,
    });
    const pg = pageOf(req.page, req.pageSize, columns.length);
    const results = columns.slice(pg.start, pg.end).map((c) => plotResult(c, rows, perChoice));
    return create(GetPlotDataResponseSchema, { count: BigInt(columns.length), results });
  }

  async ingestMetricRows(req: IngestMetricRowsRequest, ctx: HandlerContext) {
    const def = requireType(req.name);
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant();
    const columnNames = new Set(def.columns.map((c) => c.name));
    let known = new Set<number>();
    const result = await ingestBatch(scope, {
      api: `metrics:${def.name}`,
      batchId: req.batchId,
      collection: "metric_rows",
      items: req.rows,
      max: MAX_BATCH,
      tooMany: () => invalidArgument(`at most ${MAX_BATCH} rows per batch`, "rows"),
      // The batch's choices are registered first, so its rows may refer to them.
      prepare: async () => {
        const refused = [];
        const items = [];
        for (const [i, c] of req.choices.entries()) {
          if (c.id <= 0 || !c.name)
            refused.push(
              create(RejectionSchema, {
                index: i,
                field: "choices",
                reason: "a choice needs a positive id and a name",
              }),
            );
          else items.push({ key: { type: def.name, choiceId: c.id }, doc: choiceToDoc(def.name, c) });
        }
        await scope.upsertMany("metric_choices", tenantId, items);
        known = new Set((await loadChoices(scope, def.name, [tenantId])).map((c) => c.choiceId));
        return refused;
      },
      decode: (r) => {
        if (!known.has(r.choiceId))
          throw new ItemRefused("choice_id", `unknown choice ${r.choiceId}: register it in "choices" first`);
        if (!r.occurred) throw new ItemRefused("occurred", "occurred (the hour) is required");
        const badColumn = Object.keys(r.values).find((k) => !columnNames.has(k));
        if (badColumn !== undefined) throw new ItemRefused(`values.${badColumn}`, `unknown column for ${def.name}`);
        const nonFinite = Object.entries(r.values).find(([, v]) => !Number.isFinite(v));
        if (nonFinite) throw new ItemRefused(`values.${nonFinite[0]}`, "values must be finite numbers");
        const hour = new Date(Math.floor(timestampDate(r.occurred).getTime() / HOUR) * HOUR);
        return { tenantId, key: { type: def.name, choiceId: r.choiceId, hour }, value: { values: { ...r.values } } };
      },
      write: (doc) => ({ doc }),
    });
    return create(IngestMetricRowsResponseSchema, { result });
  }

  async ingestMetricEvents(req: IngestMetricEventsRequest, ctx: HandlerContext) {
    const def = requireType(req.name);
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant();
    const outcomes = eventOutcomes[def.name]!;
    const measures = new Set(eventMeasures[def.name]);
    let known = new Set<number>();
    const result = await ingestBatch(scope, {
      api: `metrics-events:${def.name}`,
      batchId: req.batchId,
      collection: "metric_events",
      items: req.events,
      max: MAX_BATCH,
      tooMany: () => invalidArgument(`at most ${MAX_BATCH} events per batch`, "events"),
      prepare: async () => {
        known = new Set((await loadChoices(scope, def.name, [tenantId])).map((c) => c.choiceId));
        return [];
      },
      decode: (e) => {
        if (!e.id) throw new ItemRefused("id", "an event id is required (it makes re-sending safe)");
        if (!known.has(e.choiceId)) throw new ItemRefused("choice_id", `unknown choice ${e.choiceId}`);
        if (!e.occurred) throw new ItemRefused("occurred", "occurred is required");
        if (!outcomes.includes(e.outcome))
          throw new ItemRefused("outcome", `outcome must be one of ${outcomes.join(", ")}`);
        if (Object.keys(e.measures).some((k) => !measures.has(k)))
          throw new ItemRefused("measures", `measures must be among ${[...measures].join(", ") || "(none)"}`);
        const hour = new Date(Math.floor(timestampDate(e.occurred).getTime() / HOUR) * HOUR);
        const doc = {
          choiceId: e.choiceId,
          hour,
          outcome: e.outcome,
          errorCategory: e.errorCategory,
          measures: { ...e.measures },
        };
        return { tenantId, key: { type: def.name, eventId: e.id }, value: doc };
      },
      write: (doc) => ({ doc }),
      // The hourly rows the events touch are derived again from every stored event of those hours.
      after: async (written) => {
        const touched = new Map(
          written.map((w) => [
            `${w.value.choiceId}@${w.value.hour.getTime()}`,
            { choiceId: w.value.choiceId, hour: w.value.hour },
          ]),
        );
        if (touched.size === 0) return;
        const rows = await scope.aggregate<{ choiceId: number; hour: Date; values: Record<string, number | null> }>(
          "metric_events",
          buildRollupPipeline(def.name, [...touched.values()]),
          { tenantIds: [tenantId] },
        );
        await scope.upsertMany(
          "metric_rows",
          tenantId,
          rows.map((r) => ({ key: { type: def.name, choiceId: r.choiceId, hour: r.hour }, doc: { values: r.values } })),
        );
      },
    });
    return create(IngestMetricEventsResponseSchema, { result });
  }
}

/** The outcomes an event of each metrics type may report. */
const eventOutcomes: Readonly<Record<string, readonly string[]>> = {
  "job-types": ["completed", "failed", "canceled"],
  errors: ["error"],
  ingests: ["deferred", "ingested", "errored", "duplicate"],
};

async function loadChoices(scope: TenantScope, type: string, tenantIds?: string[]): Promise<ChoiceDoc[]> {
  return scope.aggregate<ChoiceDoc>("metric_choices", [{ $match: { type } }, { $sort: { choiceId: 1 } }], {
    tenantIds,
  });
}

function plotResult(c: ColumnDef, rows: Record<string, unknown>[], perChoice: boolean) {
  const values: { id: number | undefined; datetime: Timestamp; value: number }[] = [];
  for (const r of rows) {
    const v = r[c.name];
    if (typeof v !== "number" || (!perChoice && r[`n_${c.name}`] === 0)) continue;
    const hour = (perChoice ? r.hour : r._id) as Date;
    values.push({ id: perChoice ? (r.choiceId as number) : undefined, datetime: timestampFromDate(hour), value: v });
  }
  const ys = values.map((v) => v.value);
  const day = (t: (typeof values)[number] | undefined) =>
    t ? timestampDate(t.datetime).toISOString().slice(0, 10) : undefined;
  return create(PlotDataResultSchema, {
    column: columnMessage(c),
    minX: day(values[0]),
    maxX: day(values.at(-1)),
    minY: ys.length ? Math.min(...ys) : undefined,
    maxY: ys.length ? Math.max(...ys) : undefined,
    values,
  });
}

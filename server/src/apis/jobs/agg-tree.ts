import type { JsonValue } from "@bufbuild/protobuf";
import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { bucketSpec } from "./bucket-specs.js";
import { esError } from "./es-error.js";
import { esName, statsValues } from "./es-names.js";
import type { FieldInfo } from "./fields.js";
import { metricSpec } from "./metric-specs.js";
import { type PipelineNode, pipelineCases, pipelineSpec, validatePipelines } from "./pipeline-aggs.js";
import type { TopHitsSpec } from "./top-hits.js";

/** Elasticsearch's `calendar_interval` units. */
export type CalendarUnit = "minute" | "hour" | "day" | "week" | "month" | "quarter" | "year";

/**
 * One terms ordering criterion: the bucket's count, its key, or a value its metric sub-aggregation
 * computes (`field` names the row field: `m<id>`, or `m<id>_<stat>` for a stats value).
 */
export type TermsOrder =
  | { by: "count"; desc: boolean }
  | { by: "key"; desc: boolean }
  | { by: "metric"; field: string; desc: boolean };

/** A validated bucket aggregation (terms, histograms, ranges, filters, missing). */
export type BucketSpec =
  | {
      kind: "terms";
      field: FieldInfo;
      size: number;
      minDocCount: number;
      order: TermsOrder[];
      /** rare_terms: at most this many documents per term, and no sum_other_doc_count. */
      maxDocCount?: number;
    }
  | {
      kind: "multi_terms";
      fields: FieldInfo[];
      size: number;
      minDocCount: number;
      order: TermsOrder[];
    }
  | {
      kind: "date_histogram";
      field: FieldInfo;
      interval: { fixedMs: number } | { calendar: CalendarUnit };
      timeZone: string | undefined;
      minDocCount: number;
      bounds?: { min?: number; max?: number };
      hardBounds?: { min?: number; max?: number };
      keyed?: boolean;
      order?: TermsOrder[];
      /** `key_as_string`'s format (a pattern or a named format); default ISO 8601. */
      format?: string;
      /** Bucket boundaries shifted by this many milliseconds. */
      offsetMs?: number;
      /** auto_date_histogram: the target, the smallest rung, and (once the data's range is read) the choice. */
      auto?: { target: number; minimum: number; chosen?: string };
      /** Months or years merged `every` at a time from the first bucket's (auto_date_histogram). */
      calendarStep?: { unit: "M" | "y"; every: number; first: number };
      /** The zone keys are shown in, when keys are computed without one (auto fixed intervals). */
      displayZone?: string;
    }
  | {
      kind: "histogram";
      field: FieldInfo;
      interval: number;
      offset: number;
      minDocCount: number;
      bounds?: { min?: number; max?: number };
      hardBounds?: { min?: number; max?: number };
      keyed?: boolean;
      order?: TermsOrder[];
    }
  | {
      kind: "range";
      field: FieldInfo;
      ranges: { from?: number; to?: number; key: string }[];
      keyed: boolean;
      /** `date_range`: bounds are epoch milliseconds, shown as dates in this zone. */
      dates?: { timeZone: string | undefined };
    }
  | { kind: "filter"; expr: unknown }
  | { kind: "filters"; filters: { name: string; expr: unknown }[]; otherBucketKey: string | undefined }
  | { kind: "missing"; field: FieldInfo }
  | {
      kind: "composite";
      size: number;
      sources: CompositeSource[];
      after: Record<string, JsonValue> | undefined;
    };

/** One source of a composite key, stored in the group key as `s<index>` (source names are user text). */
export interface CompositeSource {
  readonly name: string;
  readonly spec: Extract<BucketSpec, { kind: "terms" | "histogram" | "date_histogram" }>;
  readonly desc: boolean;
  readonly missingBucket: boolean;
}

/** A validated single- or multi-value metric aggregation. */
export type MetricSpec =
  | { kind: "avg" | "sum" | "min" | "max" | "stats" | "value_count" | "cardinality"; field: FieldInfo }
  | { kind: "percentiles"; field: FieldInfo; percents: number[]; keyed: boolean }
  | { kind: "extended_stats"; field: FieldInfo; sigma: number }
  | { kind: "weighted_avg"; field: FieldInfo; weight: FieldInfo }
  | { kind: "median_absolute_deviation"; field: FieldInfo }
  | { kind: "percentile_ranks"; field: FieldInfo; values: number[]; keyed: boolean }
  | {
      kind: "top_metrics";
      metrics: { name: string; field: FieldInfo }[];
      sort: { name: string; field: FieldInfo; desc: boolean };
      size: number;
    }
  | TopHitsSpec;

/** A bucket aggregation in the request tree, with its children. */
export interface BucketNode {
  readonly type: "bucket";
  readonly id: number;
  readonly name: string;
  readonly spec: BucketSpec;
  readonly children: AggNode[];
}

/** A metric aggregation in the request tree (a leaf). */
export interface MetricNode {
  readonly type: "metric";
  readonly id: number;
  readonly name: string;
  readonly spec: MetricSpec;
}

/** A node of the validated aggregation tree. */
export type AggNode = BucketNode | MetricNode | PipelineNode;
const metricCases = [
  "avg",
  "sum",
  "min",
  "max",
  "stats",
  "extendedStats",
  "valueCount",
  "cardinality",
  "percentiles",
  "topHits",
  "weightedAvg",
  "percentileRanks",
  "topMetrics",
  "medianAbsoluteDeviation",
];
const MAX_NODES = 64;
const MAX_DEPTH = 8;
const namePattern = /^[^[\]>]{1,128}$/;

/** Builds the validated aggregation tree; every error carries Elasticsearch's wording. */
export function buildAggTree(aggs: Readonly<Record<string, Aggregation>>): AggNode[] {
  let nextId = 0;
  const walk = (map: Readonly<Record<string, Aggregation>>, depth: number, parent?: BucketNode): AggNode[] => {
    if (depth > MAX_DEPTH) throw esError(`aggregations nested deeper than ${MAX_DEPTH} levels`);
    const out: AggNode[] = [];
    for (const [name, agg] of Object.entries(map)) {
      if (!namePattern.test(name))
        throw esError(
          `Invalid aggregation name [${name}]. Aggregation names can contain any character except '[', ']', and '>'`,
        );
      if (++nextId > MAX_NODES) throw esError(`too many aggregations in one request (at most ${MAX_NODES})`);
      const id = nextId;
      const k = agg.kind;
      if (k.case === undefined) throw esError(`Missing definition for aggregation [${name}]`);
      const leaf = metricCases.includes(k.case) || pipelineCases.has(k.case);
      if (leaf && Object.keys(agg.aggs).length)
        throw esError(`Aggregator [${name}] of type [${esName(k.case)}] cannot accept sub-aggregations`);
      if (metricCases.includes(k.case)) {
        out.push({ type: "metric", id, name, spec: metricSpec(name, k) });
        continue;
      }
      if (pipelineCases.has(k.case)) {
        out.push({ type: "pipeline", id, name, spec: pipelineSpec(name, k) });
        continue;
      }
      const spec = bucketSpec(name, k);
      if (k.case === "autoDateHistogram" && parent)
        throw esError(`[auto_date_histogram] aggregation [${name}] is served at the top level only`);
      const node: BucketNode = { type: "bucket", id, name, spec, children: [] };
      node.children.push(...walk(agg.aggs, depth + 1, node));
      if (spec.kind === "terms" && k.case === "terms") spec.order = resolveTermsOrder(k.value.order, node.children);
      if (spec.kind === "multi_terms" && k.case === "multiTerms")
        spec.order = resolveTermsOrder(k.value.order, node.children);
      if ((k.case === "histogram" || k.case === "dateHistogram") && k.value.order.length)
        (spec as { order?: TermsOrder[] }).order = resolveTermsOrder(k.value.order, node.children);
      out.push(node);
    }
    validatePipelines(out, parent);
    return out;
  };
  return walk(aggs, 0);
}

/** Elasticsearch prints range bounds as doubles: `100.0`, `2.5`. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** Criteria one terms `order` may list (checked before any is resolved). */
const MAX_ORDER_CRITERIA = 8;

/**
 * Elasticsearch's terms `order`: `_count`, `_key` (or the deprecated `_term`), a single-value metric
 * sub-aggregation, or `<stats>.<value>`; `_key` ascending breaks ties, as Elasticsearch adds it.
 * Cardinality and percentiles are computed apart from the buckets' rows and cannot order them here.
 */
function resolveTermsOrder(
  order: readonly { path: string; desc: boolean }[],
  children: readonly AggNode[],
): TermsOrder[] {
  if (order.length === 0)
    return [
      { by: "count", desc: true },
      { by: "key", desc: false },
    ];
  if (order.length > MAX_ORDER_CRITERIA) throw esError(`[order] takes at most ${MAX_ORDER_CRITERIA} criteria`);
  const out: TermsOrder[] = order.map(({ path, desc }) => {
    if (path === "_count") return { by: "count", desc };
    if (path === "_key" || path === "_term") return { by: "key", desc };
    if (path.length > 256) throw esError(`Invalid aggregation order path [${path.slice(0, 256)}…]`);
    const [aggName, value] = path.split(".", 2) as [string, string | undefined];
    const child = children.find((c) => c.name === aggName);
    if (child?.type !== "metric")
      throw esError(
        `Invalid aggregation order path [${path}]. The provided aggregation [${aggName}] either does not exist, or is a pipeline aggregation and cannot be used to sort the buckets.`,
      );
    const kind = child.spec.kind;
    if (kind === "stats") {
      if (!value || !statsValues.has(value))
        throw esError(
          `Invalid aggregation order path [${path}]. When ordering on a multi-value metrics aggregation a metric name must be specified.`,
        );
      return { by: "metric", field: `m${child.id}_${value}`, desc };
    }
    if (kind === "extended_stats" && value && statsValues.has(value))
      return { by: "metric", field: `m${child.id}_${value}`, desc };
    if (value !== undefined || !["avg", "sum", "min", "max", "value_count"].includes(kind))
      throw esError(`Invalid aggregation order path [${path}]: ordering by [${kind}] is not supported`);
    return { by: "metric", field: `m${child.id}`, desc };
  });
  return out.some((o) => o.by === "key") ? out : [...out, { by: "key", desc: false }];
}

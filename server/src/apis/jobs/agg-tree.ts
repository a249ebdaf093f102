import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { assertTimeZone } from "../../platform/time/timezone.js";
import { esError } from "./es-error.js";
import { resolveField, type FieldInfo } from "./fields.js";
import { type PipelineNode, pipelineCases, pipelineSpec, validatePipelines } from "./pipeline-aggs.js";
import { compileQuery, dateValue } from "./query.js";
import { type TopHitsSpec, topHitsSpec } from "./top-hits.js";
import { checkDateFormat } from "./date-format.js";
import { minimumRung } from "./auto-date-histogram.js";

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

const calendarUnits: Readonly<Record<string, CalendarUnit>> = {
  minute: "minute",
  "1m": "minute",
  hour: "hour",
  "1h": "hour",
  day: "day",
  "1d": "day",
  week: "week",
  "1w": "week",
  month: "month",
  "1M": "month",
  quarter: "quarter",
  "1q": "quarter",
  year: "year",
  "1y": "year",
};
const fixedUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const numericMetrics = new Set([
  "avg",
  "sum",
  "min",
  "max",
  "stats",
  "extended_stats",
  "percentiles",
  "weighted_avg",
  "percentile_ranks",
  "median_absolute_deviation",
]);
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

function metricSpec(name: string, k: Aggregation["kind"]): MetricSpec {
  switch (k.case) {
    case "percentiles": {
      const field = requireField(name, k.value.field, "percentiles");
      const percents = k.value.percents.length ? [...k.value.percents] : [1, 5, 25, 50, 75, 95, 99];
      for (const p of percents)
        if (!(p >= 0 && p <= 100)) throw esError(`percent must be in [0,100], got [${p}]: [${name}]`);
      return { kind: "percentiles", field, percents, keyed: true };
    }
    case "valueCount":
      return { kind: "value_count", field: requireField(name, k.value.field, "value_count") };
    case "topHits":
      return topHitsSpec(name, k.value);
    case "medianAbsoluteDeviation":
      return {
        kind: "median_absolute_deviation",
        field: requireField(name, k.value.field, "median_absolute_deviation"),
      };
    case "weightedAvg":
      if (!k.value.value || !k.value.weight) throw esError(`[value] and [weight] are required in [${name}]`);
      return {
        kind: "weighted_avg",
        field: requireField(name, k.value.value.field, "weighted_avg"),
        weight: requireField(name, k.value.weight.field, "weighted_avg"),
      };
    case "percentileRanks": {
      const values = [...k.value.values];
      if (values.length === 0) throw esError(`[values] must not be empty in [${name}]`);
      if (values.length > 100) throw esError(`[values] takes at most 100 values in [${name}]`);
      return {
        kind: "percentile_ranks",
        field: requireField(name, k.value.field, "percentile_ranks"),
        values,
        keyed: k.value.keyed ?? true,
      };
    }
    case "topMetrics":
      return topMetricsSpec(name, k.value);
    case "extendedStats": {
      const sigma = k.value.sigma ?? 2;
      if (!(sigma >= 0)) throw esError(`[sigma] must be greater than or equal to 0. Found [${sigma}] in [${name}]`);
      return { kind: "extended_stats", field: requireField(name, k.value.field, "extended_stats"), sigma };
    }
    case "avg":
    case "sum":
    case "min":
    case "max":
    case "stats":
    case "cardinality":
      return { kind: k.case, field: requireField(name, k.value.field, k.case) };
    default:
      throw esError(`Unknown aggregation type [${String(k.case)}]`);
  }
}

/** Elasticsearch's default cap on `top_metrics` size (`index.max_top_metrics_size`). */
const MAX_TOP_METRICS = 10;

function topMetricsSpec(name: string, v: AggValue<"topMetrics">): MetricSpec {
  const size = v.size ?? 1;
  if (size < 1 || size > MAX_TOP_METRICS)
    throw esError(`[top_metrics.size] must not be more than [${MAX_TOP_METRICS}] but was [${size}]`);
  if (v.sort.length !== 1) throw esError(`[sort] must contain exactly one sort in [${name}]`);
  if (v.metrics.length === 0 || v.metrics.length > 16) throw esError(`[metrics] takes 1 to 16 fields in [${name}]`);
  const s = v.sort[0]!;
  return {
    kind: "top_metrics",
    metrics: v.metrics.map((m) => ({ name: m.field, field: resolveField(m.field) })),
    sort: { name: s.path, field: resolveField(s.path), desc: s.desc },
    size,
  };
}

function requireField(name: string, field: string, kind: string): FieldInfo {
  if (!field) throw esError(`Required one of fields [field, script], but none were specified. in [${name}]`);
  const f = resolveField(field);
  if (numericMetrics.has(kind) && (f.type === "keyword" || f.type === "boolean")) {
    throw esError(`Field [${field}] of type [${f.type}] is not supported for aggregation [${kind}]`);
  }
  return f;
}

/** The request message of one aggregation kind (`AggValue<"terms">` is a TermsAggregation). */
type AggValue<C extends string> = Extract<Aggregation["kind"], { case: C }>["value"];

function bucketSpec(name: string, k: Aggregation["kind"]): BucketSpec {
  switch (k.case) {
    case "terms":
      return termsSpec(name, k.value);
    case "dateHistogram":
      return dateHistogramSpec(name, k.value);
    case "histogram":
      return histogramSpec(name, k.value);
    case "range":
      return rangeSpec(name, k.value);
    case "dateRange":
      return dateRangeSpec(name, k.value);
    case "filter":
      return { kind: "filter", expr: compileQuery(k.value) };
    case "filters": {
      const entries = Object.entries(k.value.filters);
      if (entries.length === 0) throw esError(`[filters] cannot be empty in [${name}]`);
      return {
        kind: "filters",
        filters: entries.map(([n, q]) => ({ name: n, expr: compileQuery(q) })),
        otherBucketKey: k.value.otherBucket || k.value.otherBucketKey ? k.value.otherBucketKey || "_other_" : undefined,
      };
    }
    case "missing":
      return { kind: "missing", field: requireField(name, k.value.field, "missing") };
    case "composite":
      return compositeSpec(name, k.value);
    case "autoDateHistogram": {
      const v = k.value;
      const field = requireField(name, v.field, "auto_date_histogram");
      if (field.type !== "date")
        throw esError(
          `Field [${v.field}] of type [${field.type}] is not supported for aggregation [auto_date_histogram]`,
        );
      const target = v.buckets ?? 10;
      if (target < 1 || target > 10_000) throw esError(`[buckets] must be between 1 and 10000 in [${name}]`);
      if (v.format) checkDateFormat(v.format, name);
      return {
        kind: "date_histogram",
        field,
        interval: { calendar: "day" },
        timeZone: v.timeZone ? histogramZone(v.timeZone) : undefined,
        minDocCount: 0,
        format: v.format || undefined,
        auto: { target, minimum: minimumRung(v.minimumInterval, name) },
      };
    }
    case "rareTerms": {
      const max = Number(k.value.maxDocCount ?? 1n);
      if (max < 1) throw esError(`[max_doc_count] must be greater than 0. Found [${max}] in [${name}]`);
      if (max > 100) throw esError(`[max_doc_count] must be smaller than or equal to [100] in [${name}]`);
      // Rarest first, then by key (Elasticsearch's order), every rare term: the bucket limit bounds them.
      return {
        kind: "terms",
        field: requireField(name, k.value.field, "rare_terms"),
        size: MAX_RARE_TERMS,
        minDocCount: 1,
        maxDocCount: max,
        order: [
          { by: "count", desc: false },
          { by: "key", desc: false },
        ],
      };
    }
    case "multiTerms": {
      const v = k.value;
      if (v.terms.length < 2)
        throw esError(
          `The [terms] parameter in the aggregation [${name}] must be present and have at least 2 fields or scripts.`,
        );
      if (v.terms.length > 8) throw esError(`[terms] takes at most 8 fields in [${name}]`);
      const size = v.size ?? 10;
      if (size <= 0) throw esError(`[size] must be greater than 0. Found [${size}] in [${name}]`);
      return {
        kind: "multi_terms",
        fields: v.terms.map((t) => requireField(name, t.field, "multi_terms")),
        size,
        minDocCount: Number(v.minDocCount ?? 1n),
        order: [],
      };
    }
    default:
      throw esError(`Unknown aggregation type [${String(k.case)}]`);
  }
}

/** rare_terms returns every rare term; more than this is a too-many-buckets error. */
const MAX_RARE_TERMS = 65_536;

/** At most this many sources per composite key (Elasticsearch has no fixed limit; every source costs a sort key). */
const MAX_COMPOSITE_SOURCES = 10;

function compositeSpec(name: string, v: AggValue<"composite">): BucketSpec {
  const size = v.size ?? 10;
  if (size <= 0) throw esError(`[size] must be greater than 0. Found [${size}] in [${name}]`);
  if (v.sources.length === 0) throw esError(`Composite [sources] cannot be null or empty`);
  if (v.sources.length > MAX_COMPOSITE_SOURCES)
    throw esError(`Composite [sources] takes at most ${MAX_COMPOSITE_SOURCES} sources in [${name}]`);
  const seen = new Set<string>();
  const sources = v.sources.map((src): CompositeSource => {
    if (seen.has(src.name)) throw esError(`Composite source names must be unique, found duplicates: [${src.name}]`);
    seen.add(src.name);
    if (src.order !== "" && src.order !== "asc" && src.order !== "desc")
      throw esError(`Unknown SortOrder [${src.order.slice(0, 32)}]`);
    const k = src.kind;
    const spec =
      k.case === "terms"
        ? {
            kind: "terms" as const,
            field: requireField(name, k.value.field, "terms"),
            size: 1,
            minDocCount: 1,
            order: [],
          }
        : k.case === "histogram"
          ? histogramSpec(name, k.value)
          : k.case === "dateHistogram"
            ? dateHistogramSpec(name, k.value)
            : undefined;
    if (!spec) throw esError(`Composite source [${src.name}] needs one of [terms, histogram, date_histogram]`);
    return {
      name: src.name,
      spec: spec as CompositeSource["spec"],
      desc: src.order === "desc",
      missingBucket: src.missingBucket,
    };
  });
  let after: Record<string, JsonValue> | undefined;
  if (v.after) {
    after = v.after as Record<string, JsonValue>;
    const keys = Object.keys(after);
    if (keys.length !== sources.length)
      throw esError(`[after] has ${keys.length} value(s) but [sources] has ${sources.length}`);
    for (const src of sources) if (!(src.name in after)) throw esError(`Missing value for [after.${src.name}]`);
  }
  return { kind: "composite", size, sources, after };
}

function termsSpec(name: string, v: AggValue<"terms">): BucketSpec {
  const size = v.size ?? 10;
  if (size <= 0) throw esError(`[size] must be greater than 0. Found [${size}] in [${name}]`);
  const minDocCount = Number(v.minDocCount ?? 1n);
  if (minDocCount < 0)
    throw esError(`[min_doc_count] must be greater than or equal to 0. Found [${minDocCount}] in [${name}]`);
  // Order paths name sub-aggregations: resolved once the children are known (resolveTermsOrder).
  return { kind: "terms", field: requireField(name, v.field, "terms"), size, minDocCount, order: [] };
}

function dateHistogramSpec(name: string, v: AggValue<"dateHistogram">): BucketSpec {
  const field = requireField(name, v.field, "date_histogram");
  if (field.type !== "date")
    throw esError(`Field [${v.field}] of type [${field.type}] is not supported for aggregation [date_histogram]`);
  const interval = dateInterval(v);
  const timeZone = v.timeZone ? histogramZone(v.timeZone) : undefined;
  const bounds = v.extendedBounds
    ? { min: boundMs(v.extendedBounds.min, name, timeZone), max: boundMs(v.extendedBounds.max, name, timeZone) }
    : undefined;
  if (bounds?.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw esError(
      `[extended_bounds.min][${bounds.min}] cannot be greater than [extended_bounds.max][${bounds.max}] for histogram aggregation [${name}]`,
    );
  }
  const offsetMs = v.offset ? signedDuration(v.offset, name) : 0;
  const hardBounds = v.hardBounds
    ? { min: boundMs(v.hardBounds.min, name, timeZone), max: boundMs(v.hardBounds.max, name, timeZone) }
    : undefined;
  if (v.format) checkDateFormat(v.format, name);
  return {
    kind: "date_histogram",
    field,
    interval,
    timeZone,
    minDocCount: Number(v.minDocCount ?? 0n),
    bounds,
    hardBounds,
    keyed: v.keyed,
    format: v.format || undefined,
    offsetMs,
  };
}

/** `+6h`, `-30m`, `1d`: a date_histogram offset in milliseconds. */
function signedDuration(text: string, name: string): number {
  const m = /^([+-]?)(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m)
    throw esError(
      `failed to parse setting [date_histogram.offset] with value [${text.slice(0, 32)}] as a time value in [${name}]`,
    );
  return (m[1] === "-" ? -1 : 1) * Number(m[2]) * fixedUnits[m[3]!]!;
}

/** `calendar_interval`, `fixed_interval`, or the legacy `interval` (a calendar unit if it names one). */
function dateInterval(v: AggValue<"dateHistogram">): { fixedMs: number } | { calendar: CalendarUnit } {
  if (v.fixedInterval && v.calendarInterval)
    throw esError("Cannot use [fixed_interval] with [calendar_interval] configuration option.");
  if (v.calendarInterval) {
    const unit = calendarUnits[v.calendarInterval];
    if (!unit)
      throw esError(`The supplied interval [${v.calendarInterval}] could not be parsed as a calendar interval.`);
    return { calendar: unit };
  }
  if (v.fixedInterval) return { fixedMs: parseFixed(v.fixedInterval, "date_histogram.fixedInterval") };
  if (v.interval) {
    const unit = calendarUnits[v.interval];
    return unit ? { calendar: unit } : { fixedMs: parseFixed(v.interval, "date_histogram.interval") };
  }
  throw esError("Invalid interval specified, must be non-null and non-empty");
}

/** A histogram's `time_zone`: undefined for UTC (plain arithmetic), else a checked zone name or offset. */
function histogramZone(zone: string): string | undefined {
  try {
    if (!/^[A-Za-z0-9_+\-/:]{1,64}$/.test(zone)) throw new Error();
    assertTimeZone(zone === "Z" ? "UTC" : zone);
    return zone === "Z" || zone === "UTC" || zone === "+00:00" ? undefined : zone;
  } catch {
    throw esError(`Unknown time-zone ID: ${zone}`);
  }
}

function histogramSpec(name: string, v: AggValue<"histogram">): BucketSpec {
  const field = requireField(name, v.field, "histogram");
  if (field.type !== "number" && field.type !== "any")
    throw esError(`Field [${v.field}] of type [${field.type}] is not supported for aggregation [histogram]`);
  if (!(v.interval > 0)) throw esError(`[interval] must be >0 for histogram aggregation [${name}]`);
  const bounds = v.extendedBounds
    ? { min: numberOf(v.extendedBounds.min), max: numberOf(v.extendedBounds.max) }
    : undefined;
  return {
    kind: "histogram",
    field,
    hardBounds: v.hardBounds ? { min: numberOf(v.hardBounds.min), max: numberOf(v.hardBounds.max) } : undefined,
    keyed: v.keyed,
    interval: v.interval,
    offset: v.offset,
    minDocCount: Number(v.minDocCount ?? 0n),
    bounds,
  };
}

function rangeSpec(name: string, v: AggValue<"range">): BucketSpec {
  const field = requireField(name, v.field, "range");
  if (v.ranges.length === 0) throw esError(`No [ranges] specified for the [${name}] aggregation`);
  if (v.ranges.length > MAX_RANGES) throw esError(`[ranges] takes at most ${MAX_RANGES} ranges in [${name}]`);
  const ranges = v.ranges.map((r) => ({
    from: r.from,
    to: r.to,
    key: r.key || `${r.from === undefined ? "*" : fmt(r.from)}-${r.to === undefined ? "*" : fmt(r.to)}`,
  }));
  return { kind: "range", field, ranges: sortRanges(ranges), keyed: v.keyed };
}

const MAX_RANGES = 1000;

/** Elasticsearch orders range buckets by `from`, then `to` (an open bound is ∓∞), keeping ties in order. */
function sortRanges<R extends { from?: number; to?: number }>(ranges: R[]): R[] {
  const lo = (r: R) => r.from ?? Number.NEGATIVE_INFINITY;
  const hi = (r: R) => r.to ?? Number.POSITIVE_INFINITY;
  return [...ranges].sort((a, b) => lo(a) - lo(b) || hi(a) - hi(b) || 0);
}

/** `date_range`: bounds as dates, epoch milliseconds or date math in the request's zone. */
function dateRangeSpec(name: string, v: AggValue<"dateRange">): BucketSpec {
  const field = requireField(name, v.field, "date_range");
  if (field.type !== "date")
    throw esError(`Field [${v.field}] of type [${field.type}] is not supported for aggregation [date_range]`);
  if (v.ranges.length === 0) throw esError(`No [ranges] specified for the [${name}] aggregation`);
  if (v.ranges.length > MAX_RANGES) throw esError(`[ranges] takes at most ${MAX_RANGES} ranges in [${name}]`);
  const timeZone = v.timeZone ? histogramZone(v.timeZone) : undefined;
  const now = Date.now();
  // Date math rounds down for both bounds (`from` is inclusive, `to` exclusive), as Elasticsearch does.
  const bound = (x: Value | undefined) => {
    const j = json(x);
    return j === undefined || j === null
      ? undefined
      : dateValue(j, `${name}.ranges`, { now, roundUp: false, timeZone }).getTime();
  };
  // An empty key is filled in by the converter, which formats dates (`<from>-<to>`, `*` for open).
  const ranges = v.ranges.map((r) => ({ from: bound(r.from), to: bound(r.to), key: r.key }));
  return { kind: "range", field, ranges: sortRanges(ranges), keyed: v.keyed, dates: { timeZone } };
}

/** The Elasticsearch name of a oneof case (`dateHistogram` → `date_histogram`). */
export function esName(c: string): string {
  return c.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`);
}

function parseFixed(v: string, setting: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v);
  const ms = m ? Number(m[1]) * fixedUnits[m[2]!]! : 0;
  if (!m || ms <= 0)
    throw esError(
      `failed to parse setting [${setting}] with value [${v}] as a time value: unit is missing or unrecognized`,
    );
  return ms;
}

function json(v: Value | undefined): JsonValue | undefined {
  return v === undefined ? undefined : toJson(ValueSchema, v);
}

/** A date histogram bound: a date, epoch milliseconds, or date math (rounded down, in the histogram's zone). */
function boundMs(v: Value | undefined, name: string, timeZone: string | undefined): number | undefined {
  const j = json(v);
  if (j === undefined || j === null) return undefined;
  return dateValue(j, `${name}.extended_bounds`, { now: Date.now(), roundUp: false, timeZone }).getTime();
}

function numberOf(v: Value | undefined): number | undefined {
  const j = json(v);
  return typeof j === "number"
    ? j
    : typeof j === "string" && j !== "" && Number.isFinite(Number(j))
      ? Number(j)
      : undefined;
}

/** Elasticsearch prints range bounds as doubles: `100.0`, `2.5`. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

const statsValues = new Set(["count", "min", "max", "avg", "sum"]);
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

// Longer than our ~300-line guide on purpose: one validator per bucket aggregation kind (ten of them),
// each with Elasticsearch's messages, read side by side.
import type { JsonValue } from "@bufbuild/protobuf";
import type { Value } from "@bufbuild/protobuf/wkt";
import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { assertTimeZone } from "../../platform/time/timezone.js";
import type { BucketSpec, CalendarUnit, CompositeSource } from "./agg-tree.js";
import { minimumRung } from "./auto-date-histogram.js";
import { checkDateFormat } from "./date-format.js";
import { MAX_BUCKETS, esError, tooManyBuckets } from "./es-error.js";
import { requireField } from "./fields.js";
import { fmt } from "./agg-tree.js";
import { compileQuery, dateValue, json } from "./query.js";

/** Each bucket aggregation's settings, validated with Elasticsearch's messages. */

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

/** The request message of one aggregation kind (`AggValue<"terms">` is a TermsAggregation). */
export type AggValue<C extends string> = Extract<Aggregation["kind"], { case: C }>["value"];

/** Validates one bucket aggregation's settings (its sub-aggregations are the tree's work). */
export function bucketSpec(name: string, k: Aggregation["kind"]): BucketSpec {
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
    case "rareTerms":
      return rareTermsSpec(name, k.value);
    case "multiTerms":
      return multiTermsSpec(name, k.value);
    case "autoDateHistogram":
      return autoDateHistogramSpec(name, k.value);
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
  if (size > MAX_BUCKETS) throw tooManyBuckets(size);
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
  if (size > MAX_BUCKETS) throw tooManyBuckets(size);
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

function parseFixed(v: string, setting: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v);
  const ms = m ? Number(m[1]) * fixedUnits[m[2]!]! : 0;
  if (!m || ms <= 0)
    throw esError(
      `failed to parse setting [${setting}] with value [${v}] as a time value: unit is missing or unrecognized`,
    );
  return ms;
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

function rareTermsSpec(name: string, v: AggValue<"rareTerms">): BucketSpec {
  const max = Number(v.maxDocCount ?? 1n);
  if (max < 1) throw esError(`[max_doc_count] must be greater than 0. Found [${max}] in [${name}]`);
  if (max > 100) throw esError(`[max_doc_count] must be smaller than or equal to [100] in [${name}]`);
  // Rarest first, then by key (Elasticsearch's order), every rare term: the bucket limit bounds them.
  return {
    kind: "terms",
    field: requireField(name, v.field, "rare_terms"),
    size: MAX_RARE_TERMS,
    minDocCount: 1,
    maxDocCount: max,
    order: [
      { by: "count", desc: false },
      { by: "key", desc: false },
    ],
  };
}

function multiTermsSpec(name: string, v: AggValue<"multiTerms">): BucketSpec {
  if (v.terms.length < 2)
    throw esError(
      `The [terms] parameter in the aggregation [${name}] must be present and have at least 2 fields or scripts.`,
    );
  if (v.terms.length > 8) throw esError(`[terms] takes at most 8 fields in [${name}]`);
  const size = v.size ?? 10;
  if (size <= 0) throw esError(`[size] must be greater than 0. Found [${size}] in [${name}]`);
  if (size > MAX_BUCKETS) throw tooManyBuckets(size);
  return {
    kind: "multi_terms",
    fields: v.terms.map((t) => requireField(name, t.field, "multi_terms")),
    size,
    minDocCount: Number(v.minDocCount ?? 1n),
    order: [],
  };
}

function autoDateHistogramSpec(name: string, v: AggValue<"autoDateHistogram">): BucketSpec {
  const field = requireField(name, v.field, "auto_date_histogram");
  if (field.type !== "date")
    throw esError(`Field [${v.field}] of type [${field.type}] is not supported for aggregation [auto_date_histogram]`);
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

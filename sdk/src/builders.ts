import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AggregationSchema,
  type CompositeSourceSchema,
  QuerySchema,
  type Aggregation,
  type Query,
} from "./gen/tally/jobs/v1/jobs_pb.js";

type AggInit = MessageInitShape<typeof AggregationSchema>;
type Subs = Record<string, Aggregation>;
const agg = (kind: AggInit["kind"], aggs?: Subs): Aggregation => create(AggregationSchema, { kind, aggs });

/**
 * Small typed builders for the jobs aggs DSL, producing the generated messages (nothing hidden):
 * `aggs.terms("job.state", { size: 20 }, { avg_ms: aggs.avg("job.duration_ms") })`.
 */
export const aggs = {
  terms: (
    field: string,
    o: { size?: number; minDocCount?: number; order?: readonly { path: string; desc?: boolean }[] } = {},
    sub?: Subs,
  ) =>
    agg(
      {
        case: "terms",
        value: {
          field,
          size: o.size,
          minDocCount: o.minDocCount === undefined ? undefined : BigInt(o.minDocCount),
          order: (o.order ?? []).map((x) => ({ path: x.path, desc: x.desc ?? false })),
        },
      },
      sub,
    ),
  dateHistogram: (
    field: string,
    o: {
      fixedInterval?: string;
      calendarInterval?: string;
      timeZone?: string;
      minDocCount?: number;
      /** `+6h`, `-30m`, `1d`. */
      offset?: string;
      /** `key_as_string`'s format: `yyyy-MM-dd`, `epoch_millis` … */
      format?: string;
      keyed?: boolean;
      order?: readonly { path: string; desc?: boolean }[];
    },
    sub?: Subs,
  ) =>
    agg(
      {
        case: "dateHistogram",
        value: {
          field,
          fixedInterval: o.fixedInterval,
          calendarInterval: o.calendarInterval,
          timeZone: o.timeZone,
          minDocCount: o.minDocCount === undefined ? undefined : BigInt(o.minDocCount),
          offset: o.offset,
          format: o.format,
          keyed: o.keyed,
          order: (o.order ?? []).map((x) => ({ path: x.path, desc: x.desc ?? false })),
        },
      },
      sub,
    ),
  histogram: (
    field: string,
    interval: number,
    sub?: Subs,
    o: { offset?: number; keyed?: boolean; order?: readonly { path: string; desc?: boolean }[] } = {},
  ) =>
    agg(
      {
        case: "histogram",
        value: {
          field,
          interval,
          offset: o.offset,
          keyed: o.keyed,
          order: (o.order ?? []).map((x) => ({ path: x.path, desc: x.desc ?? false })),
        },
      },
      sub,
    ),
  range: (field: string, ranges: { from?: number; to?: number; key?: string }[], sub?: Subs) =>
    agg({ case: "range", value: { field, ranges } }, sub),
  filter: (query: Query, sub?: Subs) => agg({ case: "filter", value: query }, sub),
  filters: (filters: Record<string, Query>, sub?: Subs) => agg({ case: "filters", value: { filters } }, sub),
  missing: (field: string, sub?: Subs) => agg({ case: "missing", value: { field } }, sub),
  avg: (field: string) => agg({ case: "avg", value: { field } }),
  sum: (field: string) => agg({ case: "sum", value: { field } }),
  min: (field: string) => agg({ case: "min", value: { field } }),
  max: (field: string) => agg({ case: "max", value: { field } }),
  stats: (field: string) => agg({ case: "stats", value: { field } }),
  valueCount: (field: string) => agg({ case: "valueCount", value: { field } }),
  cardinality: (field: string) => agg({ case: "cardinality", value: { field } }),
  percentiles: (field: string, percents?: number[]) => agg({ case: "percentiles", value: { field, percents } }),
  /**
   * Pages through every combination of source keys: pass the previous answer's `afterKey` (as JSON)
   * as `after` for the next page. Sources: `{ name, terms: { field } }`, `{ name, dateHistogram: {…} }`, ….
   */
  composite: (
    sources: MessageInitShape<typeof CompositeSourceSchema>[],
    o: { size?: number; after?: JsonObject } = {},
    sub?: Subs,
  ) => agg({ case: "composite", value: { sources, size: o.size, after: o.after } }, sub),
  /** The top jobs of a bucket: `sort` fields of the job schema, `includes` the `_source` fields to show. */
  topHits: (
    o: {
      size?: number;
      from?: number;
      sort?: readonly { path: string; desc?: boolean }[];
      includes?: string[];
      excludes?: string[];
    } = {},
  ) =>
    agg({
      case: "topHits",
      value: {
        size: o.size,
        from: o.from,
        sort: (o.sort ?? []).map((x) => ({ path: x.path, desc: x.desc ?? false })),
        sourceIncludes: o.includes,
        sourceExcludes: o.excludes,
      },
    }),
  medianAbsoluteDeviation: (field: string) => agg({ case: "medianAbsoluteDeviation", value: { field } }),
  rareTerms: (field: string, maxDocCount?: number) =>
    agg({
      case: "rareTerms",
      value: { field, maxDocCount: maxDocCount === undefined ? undefined : BigInt(maxDocCount) },
    }),
  multiTerms: (fields: string[], o: { size?: number } = {}, sub?: Subs) =>
    agg({ case: "multiTerms", value: { terms: fields.map((field) => ({ field })), size: o.size } }, sub),
  autoDateHistogram: (
    field: string,
    o: { buckets?: number; minimumInterval?: string; timeZone?: string } = {},
    sub?: Subs,
  ) => agg({ case: "autoDateHistogram", value: { field, ...o } }, sub),
  dateRange: (field: string, ranges: { from?: string; to?: string; key?: string }[], sub?: Subs) =>
    agg(
      {
        case: "dateRange",
        value: {
          field,
          ranges: ranges.map((r) => ({
            key: r.key,
            from: r.from === undefined ? undefined : { kind: { case: "stringValue", value: r.from } },
            to: r.to === undefined ? undefined : { kind: { case: "stringValue", value: r.to } },
          })),
        },
      },
      sub,
    ),
  weightedAvg: (value: string, weight: string) =>
    agg({ case: "weightedAvg", value: { value: { field: value }, weight: { field: weight } } }),
  percentileRanks: (field: string, values: number[]) => agg({ case: "percentileRanks", value: { field, values } }),
  topMetrics: (metrics: string[], sort: { path: string; desc?: boolean }, size?: number) =>
    agg({
      case: "topMetrics",
      value: {
        metrics: metrics.map((field) => ({ field })),
        sort: [{ path: sort.path, desc: sort.desc ?? false }],
        size,
      },
    }),
  extendedStats: (field: string, sigma?: number) => agg({ case: "extendedStats", value: { field, sigma } }),
  // Sibling pipelines: `bucketsPath` is `<multi-bucket agg>>[<agg>>…]<metric>[.value]`, or `…>_count`.
  avgBucket: (bucketsPath: string, gapPolicy?: GapPolicy) =>
    agg({ case: "avgBucket", value: { bucketsPath, gapPolicy } }),
  sumBucket: (bucketsPath: string, gapPolicy?: GapPolicy) =>
    agg({ case: "sumBucket", value: { bucketsPath, gapPolicy } }),
  minBucket: (bucketsPath: string, gapPolicy?: GapPolicy) =>
    agg({ case: "minBucket", value: { bucketsPath, gapPolicy } }),
  maxBucket: (bucketsPath: string, gapPolicy?: GapPolicy) =>
    agg({ case: "maxBucket", value: { bucketsPath, gapPolicy } }),
  statsBucket: (bucketsPath: string, gapPolicy?: GapPolicy) =>
    agg({ case: "statsBucket", value: { bucketsPath, gapPolicy } }),
  extendedStatsBucket: (bucketsPath: string, o: { gapPolicy?: GapPolicy; sigma?: number } = {}) =>
    agg({ case: "extendedStatsBucket", value: { bucketsPath, ...o } }),
  percentilesBucket: (bucketsPath: string, o: { gapPolicy?: GapPolicy; percents?: number[]; keyed?: boolean } = {}) =>
    agg({ case: "percentilesBucket", value: { bucketsPath, ...o } }),
  // Parent pipelines, inside a histogram or date histogram: `bucketsPath` is relative to each bucket.
  derivative: (bucketsPath: string, o: { gapPolicy?: GapPolicy; unit?: string } = {}) =>
    agg({ case: "derivative", value: { bucketsPath, ...o } }),
  cumulativeSum: (bucketsPath: string) => agg({ case: "cumulativeSum", value: { bucketsPath } }),
  serialDiff: (bucketsPath: string, o: { gapPolicy?: GapPolicy; lag?: number } = {}) =>
    agg({ case: "serialDiff", value: { bucketsPath, ...o } }),
  /** `script`: one of Elasticsearch's MovingFunctions calls, e.g. `MovingFunctions.max(values)`. */
  movingFn: (bucketsPath: string, window: number, script: string, o: { gapPolicy?: GapPolicy; shift?: number } = {}) =>
    agg({ case: "movingFn", value: { bucketsPath, window, script, ...o } }),
  bucketSort: (
    o: { sort?: readonly { path: string; desc?: boolean }[]; from?: number; size?: number; gapPolicy?: GapPolicy } = {},
  ) =>
    agg({
      case: "bucketSort",
      value: { ...o, sort: (o.sort ?? []).map((x) => ({ path: x.path, desc: x.desc ?? false })) },
    }),
};

/** How a bucket without a value counts in a pipeline aggregation (default skip). */
export type GapPolicy = "skip" | "insert_zeros" | "keep_values";

/** Query clauses for filters: `q.term("job.state", "FAILED")`. */
export const q = {
  term: (field: string, value: string | number | boolean): Query =>
    create(QuerySchema, {
      term: {
        [field]: {
          kind:
            typeof value === "string"
              ? { case: "stringValue", value }
              : typeof value === "number"
                ? { case: "numberValue", value }
                : { case: "boolValue", value },
        },
      },
    }),
  terms: (field: string, values: string[]): Query =>
    create(QuerySchema, {
      terms: {
        [field]: { values: values.map((value) => create(ValueSchema, { kind: { case: "stringValue", value } })) },
      },
    }),
  exists: (field: string): Query => create(QuerySchema, { exists: { field } }),
  /** Keyword fields starting with `value`. */
  prefix: (field: string, value: string, caseInsensitive = false): Query =>
    create(QuerySchema, { prefix: { [field]: { value, caseInsensitive } } }),
  /** `*` any run (at most three), `?` one character. */
  wildcard: (field: string, value: string, caseInsensitive = false): Query =>
    create(QuerySchema, { wildcard: { [field]: { value, caseInsensitive } } }),
  ids: (...values: string[]): Query => create(QuerySchema, { ids: { values } }),
  /** A bool query with `minimum_should_match` (a count, `-1`, or a percentage such as `"75%"`). */
  bool: (b: {
    must?: Query[];
    filter?: Query[];
    should?: Query[];
    mustNot?: Query[];
    minimumShouldMatch?: number | string;
  }): Query =>
    create(QuerySchema, {
      bool: {
        must: b.must,
        filter: b.filter,
        should: b.should,
        mustNot: b.mustNot,
        minimumShouldMatch:
          b.minimumShouldMatch === undefined
            ? undefined
            : typeof b.minimumShouldMatch === "number"
              ? { kind: { case: "numberValue", value: b.minimumShouldMatch } }
              : { kind: { case: "stringValue", value: b.minimumShouldMatch } },
      },
    }),
  not: (query: Query): Query => create(QuerySchema, { bool: { mustNot: [query] } }),
  all: (...must: Query[]): Query => create(QuerySchema, { bool: { must } }),
  any: (...should: Query[]): Query => create(QuerySchema, { bool: { should } }),
};

/** A time range ending now: `{ startTime, endTime }` for the last `days` days. */
export function lastDays(days: number, now = new Date()) {
  return { startTime: timestampFromDate(new Date(now.getTime() - days * 86_400_000)), endTime: timestampFromDate(now) };
}

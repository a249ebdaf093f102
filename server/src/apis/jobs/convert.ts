// Longer than our ~300-line guide on purpose: turning grouped rows into Elasticsearch's nested result
// tree is one walk (the Assembler), and its bucket kinds share the walk's state.
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import {
  AggregationResultSchema,
  BucketSchema,
  type AggregationResult,
  type Bucket,
} from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { Document } from "mongodb";
import { dateTrunc } from "../../platform/time/date-trunc.js";
import { offsetAt } from "../../platform/time/timezone.js";
import type { AggNode, BucketNode, BucketSpec, MetricNode, TermsOrder } from "./agg-tree.js";
import { formatDateAs } from "./date-format.js";
import { calendarIndex, calendarStart } from "./auto-date-histogram.js";
import { MAX_BUCKETS, esError, tooManyBuckets } from "./es-error.js";
import { MAX_GROUP_ROWS, isKeyed } from "./pipeline.js";
import { type PipelineNode, type SiblingSpec, isSiblingPipeline } from "./pipeline-aggs.js";
import { applyParentPipelines, extendedStats, siblingResult } from "./pipeline-values.js";
import type { TopHitsSpec } from "./top-hits.js";

/** Top hits one answer may carry across all its buckets. */
const MAX_HITS = 10_000;

/** A grouped row: its composite key (`_id`, null at the root) and its count, with its metric values. */
export type Row = Document & { _id: Record<string, unknown> | null; doc_count: number };
type Results = Record<string, AggregationResult>;

/**
 * Turns the grouped rows into the nested Elasticsearch result tree: a node's rows are grouped by the
 * keys of its keyed ancestors, so each bucket finds its children's rows by its own key path.
 */
export class Assembler {
  private buckets = 0;
  private hits = 0;
  private readonly index = new Map<number, Map<string, Row[]>>();
  private readonly topTerms = new Map<number, { all: number; top: Row[] }>();

  /**
   * `distinctRows` are the cardinality pipelines' counts by metric id: they are joined to their
   * owner's rows (or the root row) by the bucket keys, as `m<id>`.
   */
  constructor(
    private readonly tree: readonly AggNode[],
    private readonly rootRow: Row | undefined,
    nodeRows: ReadonlyMap<number, Document[]>,
    distinctRows: ReadonlyMap<number, { owner: number | null; rows: Document[] }> = new Map(),
  ) {
    const counts = new Map<number | null, { key: string; rows: Document[] }[]>();
    for (const [id, d] of distinctRows) {
      if (d.rows.length > MAX_GROUP_ROWS) throw tooManyBuckets(d.rows.length);
      counts.set(d.owner, [...(counts.get(d.owner) ?? []), { key: `m${id}`, rows: d.rows }]);
    }
    if (this.rootRow)
      for (const c of counts.get(null) ?? []) this.rootRow[c.key] = (c.rows[0]?.[c.key] as number | undefined) ?? 0;
    const visit = (n: BucketNode, keyedAncestors: BucketNode[]) => {
      const rows = nodeRows.get(n.id) ?? [];
      const keyed = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
      for (const c of counts.get(n.id) ?? []) {
        const byKey = new Map(
          c.rows.map((r) => [prefixOf(keyed, (r._id as Record<string, unknown> | null) ?? {}), r[c.key] as number]),
        );
        for (const r of rows)
          r[c.key] = byKey.get(prefixOf(keyed, (r._id as Record<string, unknown> | null) ?? {})) ?? 0;
      }
      if (
        (n.spec.kind === "terms" || n.spec.kind === "multi_terms" || n.spec.kind === "composite") &&
        keyedAncestors.length === 0
      ) {
        this.topTerms.set(n.id, { all: Number(this.rootRow?.[`o${n.id}`] ?? 0), top: rows as Row[] });
      } else {
        if (rows.length > MAX_GROUP_ROWS) throw tooManyBuckets(rows.length);
        const byPrefix = new Map<string, Row[]>();
        for (const r of rows as Row[]) {
          const p = prefixOf(keyedAncestors, r._id ?? {});
          const list = byPrefix.get(p);
          if (list) list.push(r);
          else byPrefix.set(p, [r]);
        }
        this.index.set(n.id, byPrefix);
      }
      const next = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
      for (const c of n.children) if (c.type === "bucket") visit(c, next);
    };
    for (const n of tree) if (n.type === "bucket") visit(n, []);
  }

  get total(): number {
    return this.rootRow?.doc_count ?? 0;
  }

  results(): Results {
    return this.level(this.tree, this.rootRow, [], {});
  }

  private level(
    children: readonly AggNode[],
    row: Row | undefined,
    keyedAncestors: BucketNode[],
    path: Record<string, unknown>,
  ): Results {
    const out: Results = {};
    for (const c of children) {
      if (c.type === "metric") {
        const r = (out[c.name] = metricResult(c, row));
        if (r.result.case === "topHits") this.countHits(r.result.value.hits.length);
      } else if (c.type === "bucket") out[c.name] = this.bucketResult(c, keyedAncestors, path);
    }
    // Sibling pipelines read the finished results of this level (parent ones are their parent's work).
    for (const c of children) {
      if (c.type !== "pipeline" || !isSiblingPipeline(c.spec)) continue;
      const multi = children.find((x) => x.name === (c.spec as SiblingSpec).path.multi) as BucketNode;
      out[c.name] = siblingResult(c.spec, out, multi.spec.kind);
    }
    return out;
  }

  private rowsOf(n: BucketNode, keyedAncestors: BucketNode[], path: Record<string, unknown>): Row[] {
    return this.index.get(n.id)?.get(prefixOf(keyedAncestors, path)) ?? [];
  }

  /** Hits across every top_hits of the answer: at most MAX_HITS (each is a whole job). */
  private countHits(n: number): void {
    this.hits += n;
    if (this.hits > MAX_HITS)
      throw esError(`the answer would hold more than ${MAX_HITS} top hits; ask for fewer buckets or a smaller size`);
  }

  private count(n = 1): void {
    this.buckets += n;
    if (this.buckets > MAX_BUCKETS) throw tooManyBuckets(this.buckets);
  }

  /** A terms node's shown buckets and the documents of all its buckets (for sum_other_doc_count). */
  private termsTop(
    n: BucketNode,
    keyedAncestors: BucketNode[],
    path: Record<string, unknown>,
  ): { top: Row[]; all: number } {
    const pre = this.topTerms.get(n.id);
    if (pre) return pre;
    const s = n.spec as Extract<BucketSpec, { kind: "terms" }>;
    const k = `k${n.id}`;
    const rows = this.rowsOf(n, keyedAncestors, path);
    const top = rows
      .filter((r) => r.doc_count >= s.minDocCount && (s.maxDocCount === undefined || r.doc_count <= s.maxDocCount))
      .sort((a, b) => {
        for (const o of s.order) {
          const c =
            o.by === "count"
              ? a.doc_count - b.doc_count
              : o.by === "key"
                ? compareKeys(a._id?.[k], b._id?.[k])
                : compareMetric(a[o.field], b[o.field]);
          if (c !== 0) return o.desc ? -c : c;
        }
        return 0;
      })
      .slice(0, s.size);
    return { top, all: rows.reduce((a, r) => a + r.doc_count, 0) };
  }

  private bucketResult(n: BucketNode, keyedAncestors: BucketNode[], path: Record<string, unknown>): AggregationResult {
    const s = n.spec;
    const k = `k${n.id}`;
    const childAncestors = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
    const parentPipelines = n.children.filter(
      (c): c is PipelineNode => c.type === "pipeline" && !isSiblingPipeline(c.spec),
    );
    const finish = (buckets: Bucket[]) => applyParentPipelines(parentPipelines, buckets);
    const bucket: MakeBucket = (raw, shown, row, extra = {}) => {
      this.count();
      return create(BucketSchema, {
        key: jsonValue(shown),
        docCount: BigInt(row?.doc_count ?? 0),
        ...extra,
        aggregations: this.level(n.children, row, childAncestors, { ...path, [k]: raw }),
      });
    };
    if (s.kind === "filter" || s.kind === "missing") {
      const row = this.rowsOf(n, keyedAncestors, path)[0];
      this.count();
      const aggregations = this.level(n.children, row, childAncestors, path);
      return create(AggregationResultSchema, {
        result: { case: "single", value: { docCount: BigInt(row?.doc_count ?? 0), aggregations } },
      });
    }
    if (s.kind === "terms") {
      const { top, all } = this.termsTop(n, keyedAncestors, path);
      const shown = top.reduce((a, r) => a + r.doc_count, 0);
      const buckets = top.map((r) => {
        const v = r._id?.[k];
        // Elasticsearch keys boolean terms 1/0 and shows "true"/"false" as key_as_string.
        return typeof v === "boolean" ? bucket(v, v ? 1 : 0, r, { keyAsString: String(v) }) : bucket(v, v, r);
      });
      // rare_terms answers its buckets alone.
      return multiResult(finish(buckets), s.maxDocCount === undefined ? { sumOther: all - shown } : {});
    }
    if (s.kind === "multi_terms") {
      const { top, all } = this.topTerms.get(n.id) ?? { top: [], all: 0 };
      const shown = top.reduce((a, r) => a + r.doc_count, 0);
      const buckets = top.map((r) => {
        const raw = r._id?.[k] as Record<string, unknown>;
        const parts = s.fields.map((_, i) => raw?.[`t${i}`] ?? null);
        return bucket(raw, parts, r, { keyAsString: parts.map((p) => String(p)).join("|") });
      });
      return multiResult(finish(buckets), { sumOther: all - shown });
    }
    if (s.kind === "composite") {
      // The database returned the page in key order; keys are objects of the sources' values.
      const page = this.topTerms.get(n.id)?.top ?? [];
      const buckets = page.map((r) => {
        const raw = r._id?.[k] as Record<string, unknown>;
        const key = Object.fromEntries(s.sources.map((src, i) => [src.name, raw?.[`s${i}`] ?? null]));
        return bucket(raw, key, r);
      });
      return multiResult(finish(buckets), { afterKey: buckets.at(-1)?.key });
    }
    const rows = this.rowsOf(n, keyedAncestors, path);
    if (s.kind === "date_histogram" || s.kind === "histogram")
      return multiResult(finish(histogramBuckets(s, rows, k, this.buckets, bucket)), {
        keyed: s.keyed,
        interval: s.kind === "date_histogram" ? s.auto?.chosen : undefined,
      });
    if (s.kind === "range") {
      const byIndex = new Map(rows.map((r) => [Number(r._id?.[k]), r]));
      const tz = s.dates?.timeZone;
      const shown = (ms: number | undefined) => (ms === undefined ? undefined : formatDate(ms, tz));
      const buckets = s.ranges.map((r, i) => {
        if (!s.dates) return bucket(i, r.key, byIndex.get(i), { from: r.from, to: r.to });
        const [from, to] = [shown(r.from), shown(r.to)];
        const key = r.key || `${from ?? "*"}-${to ?? "*"}`;
        return bucket(i, key, byIndex.get(i), { from: r.from, to: r.to, fromAsString: from, toAsString: to });
      });
      return multiResult(finish(buckets), { keyed: s.keyed });
    }
    const byName = new Map(rows.map((r) => [String(r._id?.[k]), r]));
    const names = [...s.filters.map((f) => f.name), ...(s.otherBucketKey !== undefined ? [s.otherBucketKey] : [])];
    return multiResult(finish(names.map((name) => bucket(name, name, byName.get(name)))), { keyed: true });
  }
}

/**
 * The bucket keys of a (date) histogram: the keys with data, plus — with min_doc_count 0 — every empty
 * bucket between the first and last and out to extended_bounds. The count is checked before any
 * bucket is made, so a huge range is refused cheaply.
 */
function histogramKeys(
  s: Extract<BucketSpec, { kind: "date_histogram" | "histogram" }>,
  present: number[],
  already: number,
): number[] {
  if (s.minDocCount > 0) return present;
  const round =
    s.kind === "histogram"
      ? (v: number) => Math.floor((v - s.offset) / s.interval) * s.interval + s.offset
      : (v: number) => roundDate(s, v);
  let lo = present[0];
  let hi = present.at(-1);
  if (s.bounds?.min !== undefined) lo = lo === undefined ? round(s.bounds.min) : Math.min(lo, round(s.bounds.min));
  if (s.bounds?.max !== undefined) hi = hi === undefined ? round(s.bounds.max) : Math.max(hi, round(s.bounds.max));
  if (lo === undefined || hi === undefined) return [];
  const approxStep =
    s.kind === "histogram"
      ? s.interval
      : "fixedMs" in s.interval
        ? s.interval.fixedMs
        : calendarMs[s.interval.calendar]!;
  const estimate = Math.floor((hi - lo) / (approxStep * 0.9)) + 1;
  if (estimate + already > MAX_BUCKETS) throw tooManyBuckets(estimate + already);
  const keys: number[] = [];
  // Every step must advance and the walk is bounded by the estimate: no input can loop forever.
  for (let key = lo; key <= hi; ) {
    keys.push(key);
    const following = next(s, key, round);
    if (!(following > key) || keys.length > estimate + 2)
      throw esError(
        `[${s.kind}] on [${s.field.path}]: bucket keys do not advance; narrow the bounds or change the interval`,
      );
    key = following;
  }
  return keys;
}

const calendarMs: Record<string, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 28 * 86_400_000,
  quarter: 89 * 86_400_000,
  year: 365 * 86_400_000,
};

function next(
  s: Extract<BucketSpec, { kind: "date_histogram" | "histogram" }>,
  key: number,
  round: (v: number) => number,
): number {
  if (s.kind === "histogram") return key + s.interval;
  if (s.calendarStep) {
    const { unit, every } = s.calendarStep;
    return calendarStart(calendarIndex(key, unit, s.timeZone) + every, unit, s.timeZone);
  }
  if ("fixedMs" in s.interval && !(s.timeZone && 86_400_000 % s.interval.fixedMs === 0))
    return key + s.interval.fixedMs;
  // Calendar (and zoned fixed) buckets vary in length: step past the bucket, then round back to its start.
  const step = "fixedMs" in s.interval ? s.interval.fixedMs : calendarMs[s.interval.calendar]!;
  return round(key + step * 1.5);
}

/** The same rounding the pipeline does, for filling empty buckets. */
function roundDate(s: Extract<BucketSpec, { kind: "date_histogram" }>, v: number): number {
  if (s.calendarStep) {
    const { unit, every, first } = s.calendarStep;
    const i = calendarIndex(v, unit, s.timeZone);
    return calendarStart(first + Math.floor((i - first) / every) * every, unit, s.timeZone);
  }
  const off = s.offsetMs ?? 0;
  return off ? truncate(s, v - off) + off : truncate(s, v);
}

function truncate(s: Extract<BucketSpec, { kind: "date_histogram" }>, v: number): number {
  if ("calendar" in s.interval) return dateTrunc(new Date(v), s.interval.calendar, 1, s.timeZone, "monday").getTime();
  const i = s.interval.fixedMs;
  if (s.timeZone && 86_400_000 % i === 0) return dateTrunc(new Date(v), "millisecond", i, s.timeZone).getTime();
  return v - (((v % i) + i) % i);
}

/** `2024-01-01T00:00:00.000Z`, or with the zone's offset (`...+01:00`) as Elasticsearch prints it. */
export function formatDate(ms: number, tz: string | undefined): string {
  const off = offsetAt(tz, ms);
  const local = new Date(ms + off).toISOString().slice(0, 23);
  if (off === 0) return `${local}Z`;
  const sign = off < 0 ? "-" : "+";
  const m = Math.abs(off) / 60_000;
  return `${local}${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function metricResult(m: MetricNode, row: Row | undefined): AggregationResult {
  const key = `m${m.id}`;
  const num = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === "number" ? v : undefined);
  switch (m.spec.kind) {
    case "stats":
      return create(AggregationResultSchema, {
        result: {
          case: "stats",
          value: {
            count: BigInt(row?.[`${key}_count`] ?? 0),
            min: num(row?.[`${key}_min`]),
            max: num(row?.[`${key}_max`]),
            avg: num(row?.[`${key}_avg`]),
            sum: num(row?.[`${key}_sum`]) ?? 0,
          },
        },
      });
    case "top_hits":
      return topHitsResult(m.spec, row?.[key], row?.doc_count ?? 0);
    case "weighted_avg": {
      const w = num(row?.[`${key}_w`]) ?? 0;
      const value = w === 0 ? undefined : (num(row?.[`${key}_vw`]) ?? 0) / w;
      return create(AggregationResultSchema, { result: { case: "value", value: { value } } });
    }
    case "percentile_ranks": {
      const count = Number(row?.[`${key}_count`] ?? 0);
      const values = m.spec.values.map((percent, i) => ({
        percent,
        value: count === 0 ? undefined : (100 * Number(row?.[`${key}_r${i}`] ?? 0)) / count,
      }));
      return create(AggregationResultSchema, {
        result: { case: "percentiles", value: { values, asList: !m.spec.keyed } },
      });
    }
    case "top_metrics": {
      const s = m.spec;
      const top = ((row?.[key] as { s: unknown; m: unknown[] }[] | undefined) ?? []).map((t) => ({
        sort: [jsonValue(t.s instanceof Date ? t.s.getTime() : t.s)],
        metrics: Object.fromEntries(s.metrics.map((x, i) => [x.name, sourceJson(t.m[i] ?? null)])) as JsonObject,
      }));
      return create(AggregationResultSchema, { result: { case: "topMetrics", value: { top } } });
    }
    case "extended_stats": {
      const count = Number(row?.[`${key}_count`] ?? 0);
      const value = extendedStats(
        count,
        num(row?.[`${key}_sum`]) ?? 0,
        num(row?.[`${key}_min`]) ?? Number.NaN,
        num(row?.[`${key}_max`]) ?? Number.NaN,
        num(row?.[`${key}_sumsq`]) ?? 0,
        m.spec.sigma,
      );
      return create(AggregationResultSchema, { result: { case: "extendedStats", value } });
    }
    case "percentiles": {
      const values = (row?.[key] as unknown[] | undefined) ?? [];
      return create(AggregationResultSchema, {
        result: {
          case: "percentiles",
          value: { values: m.spec.percents.map((percent, i) => ({ percent, value: num(values[i]) })) },
        },
      });
    }
    case "sum":
    case "value_count":
    case "cardinality":
      return create(AggregationResultSchema, { result: { case: "value", value: { value: num(row?.[key]) ?? 0 } } });
    default:
      return create(AggregationResultSchema, { result: { case: "value", value: { value: num(row?.[key]) } } });
  }
}

function prefixOf(keyed: readonly BucketNode[], id: Record<string, unknown>): string {
  return JSON.stringify(keyed.map((a) => id[`k${a.id}`] ?? null));
}

/** Metric values as MongoDB's `$sort` orders them: null (no value) before every number. */
function compareMetric(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareKeys(a, b);
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function jsonValue(v: unknown): Value {
  if (Array.isArray(v))
    return create(ValueSchema, { kind: { case: "listValue", value: { values: v.map(jsonValue) } } });
  if (v !== null && typeof v === "object" && !(v instanceof Date))
    return create(ValueSchema, {
      kind: {
        case: "structValue",
        value: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)])) },
      },
    });
  if (typeof v === "number") return create(ValueSchema, { kind: { case: "numberValue", value: v } });
  if (typeof v === "boolean") return create(ValueSchema, { kind: { case: "boolValue", value: v } });
  if (v === null || v === undefined) return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  return create(ValueSchema, { kind: { case: "stringValue", value: String(v) } });
}

/** A multi-bucket result; terms add their sum_other_doc_count (the error bound is 0: counts are exact). */
function multiResult(
  buckets: Bucket[],
  more: { sumOther?: number; keyed?: boolean; afterKey?: Value; interval?: string } = {},
): AggregationResult {
  return create(AggregationResultSchema, {
    result: {
      case: "buckets",
      value: {
        buckets,
        keyed: more.keyed ?? false,
        afterKey: more.afterKey,
        interval: more.interval ?? "",
        ...(more.sumOther !== undefined
          ? { sumOtherDocCount: BigInt(more.sumOther), docCountErrorUpperBound: 0n }
          : {}),
      },
    },
  });
}

/** Builds one bucket: `raw` is its key as grouped (its children find their rows by it), `shown` the key clients see. */
type MakeBucket = (raw: unknown, shown: unknown, row: Row | undefined, extra?: Partial<Bucket>) => Bucket;

/** A (date) histogram's buckets: every key in range (empty ones included down to `min_doc_count`). */
function histogramBuckets(
  s: Extract<BucketSpec, { kind: "date_histogram" | "histogram" }>,
  rows: readonly Row[],
  k: string,
  already: number,
  bucket: MakeBucket,
): Bucket[] {
  // Merged months or years come keyed by their index: the bucket's start is the key clients see.
  const keyOf = (r: Row) => {
    const key = Number(r._id?.[k]);
    return s.kind === "date_histogram" && s.calendarStep ? calendarStart(key, s.calendarStep.unit, s.timeZone) : key;
  };
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  // hard_bounds: only keys in [min, max) are buckets, whatever the data or extended_bounds.
  const hard = s.hardBounds;
  const inside = (key: number) =>
    (hard?.min === undefined || key >= hard.min) && (hard?.max === undefined || key < hard.max);
  const keys = histogramKeys(
    hard ? { ...s, bounds: clampBounds(s.bounds, hard) } : s,
    [...byKey.keys()].filter(inside).sort((a, b) => a - b),
    already,
  ).filter(inside);
  const shown: { key: number; row: Row | undefined }[] = [];
  for (const key of keys) {
    const row = byKey.get(key);
    if ((row?.doc_count ?? 0) >= s.minDocCount) shown.push({ key, row });
  }
  if (s.order?.length) shown.sort((a, b) => compareBy(s.order!, a.key, a.row, b.key, b.row));
  return shown.map(({ key, row }) =>
    bucket(
      key,
      key,
      row,
      s.kind === "date_histogram"
        ? {
            keyAsString: s.format
              ? formatDateAs(key, s.displayZone ?? s.timeZone, s.format)
              : formatDate(key, s.displayZone ?? s.timeZone),
          }
        : {},
    ),
  );
}

/** extended_bounds never reach past hard_bounds. */
function clampBounds(
  b: { min?: number; max?: number } | undefined,
  hard: { min?: number; max?: number },
): { min?: number; max?: number } | undefined {
  if (!b) return b;
  return {
    min: b.min === undefined || hard.min === undefined ? b.min : Math.max(b.min, hard.min),
    max: b.max === undefined || hard.max === undefined ? b.max : Math.min(b.max, hard.max),
  };
}

/** A histogram `order`: criteria over the key, the count or a metric of the rows. */
function compareBy(
  order: readonly TermsOrder[],
  ak: number,
  a: Row | undefined,
  bk: number,
  b: Row | undefined,
): number {
  for (const o of order) {
    const c =
      o.by === "key"
        ? ak - bk
        : o.by === "count"
          ? (a?.doc_count ?? 0) - (b?.doc_count ?? 0)
          : compareMetric(a?.[o.field], b?.[o.field]);
    if (c !== 0) return o.desc ? -c : c;
  }
  return 0;
}

/** A `$topN` output row: the job id, its `_source` and its sort values. */
interface HitRow {
  id: string;
  src?: Record<string, unknown>;
  s: unknown[];
}

/** Dates as Elasticsearch shows them in `_source` (ISO 8601) and in `sort` (epoch milliseconds). */
function sourceJson(v: unknown): JsonValue {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(sourceJson);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sourceJson(x)]));
  return (v ?? null) as JsonValue;
}

function topHitsResult(s: TopHitsSpec, stored: unknown, total: number): AggregationResult {
  const rows = ((stored as HitRow[] | undefined) ?? []).slice(s.from, s.from + s.size);
  return create(AggregationResultSchema, {
    result: {
      case: "topHits",
      value: {
        total: BigInt(total),
        hits: rows.map((h) => ({
          id: h.id,
          source: h.src ? (sourceJson(h.src) as JsonObject) : undefined,
          sort: s.sorted ? h.s.map((v) => jsonValue(v instanceof Date ? v.getTime() : v)) : [],
        })),
      },
    },
  });
}

import { create } from "@bufbuild/protobuf";
import {
  type AggregationResult,
  AggregationResultSchema,
  type Bucket,
  type ExtendedStatsResult,
  ExtendedStatsResultSchema,
} from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { fmt } from "./agg-tree.js";
import type { BucketsPath, GapPolicy, PipelineNode, PipelineSpec, SiblingSpec } from "./pipeline-aggs.js";

/**
 * Pipeline aggregations computed from assembled results, as Elasticsearch computes them at reduce
 * time. Numbers that are not finite (no value) are printed as null.
 */

type Results = Record<string, AggregationResult>;

const finiteOrUndefined = (v: number) => (Number.isFinite(v) ? v : undefined);
const valueResult = (value: number, normalized?: number) =>
  create(AggregationResultSchema, {
    result: { case: "value", value: { value: finiteOrUndefined(value), normalizedValue: normalized } },
  });

/** The number a path names among one bucket's results: NaN when it holds none. */
function read(results: Results, docCount: number, key: number, path: BucketsPath): number {
  let level = results;
  let count = docCount;
  for (const name of path.through) {
    const r = level[name]?.result;
    if (r?.case !== "single") return Number.NaN;
    level = r.value.aggregations;
    count = Number(r.value.docCount);
  }
  const last = path.last;
  if ("special" in last) return last.special === "_count" ? count : key;
  const r = level[last.name]?.result;
  const pick = (o: object | undefined) => {
    const v = o?.[camel(last.value ?? "") as keyof typeof o] as unknown;
    return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number.NaN;
  };
  switch (r?.case) {
    case "value":
    case "bucketValue":
      return r.value.value ?? Number.NaN;
    case "stats":
    case "extendedStats":
      return pick(r.value);
    case "percentiles":
      return r.value.values.find((p) => p.percent === Number(last.value))?.value ?? Number.NaN;
    default:
      return Number.NaN;
  }
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A bucket's key as a number (histograms' keys), else NaN. */
function keyNumber(b: Bucket): number {
  return b.key?.kind.case === "numberValue" ? b.key.kind.value : Number.NaN;
}

/** A bucket's value for a pipeline with its gap policy applied (Elasticsearch's resolveBucketValue). */
function bucketValue(b: Bucket, path: BucketsPath, gap: GapPolicy): number {
  const v = read(b.aggregations, Number(b.docCount), keyNumber(b), path);
  // The document count never has a gap.
  if (path.through.length === 0 && "special" in path.last && path.last.special === "_count") return v;
  const empty = b.docCount === 0n;
  if (gap === "insert_zeros") return !Number.isFinite(v) || empty ? 0 : v;
  if (gap === "skip") return v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY || empty ? Number.NaN : v;
  return Number.isFinite(v) ? v : Number.NaN;
}

/** Elasticsearch's `getKeyAsString`: the formatted date, the term, or a histogram key as a double. */
function keyString(b: Bucket, multiKind: string): string {
  if (b.keyAsString !== undefined) return b.keyAsString;
  const k = b.key?.kind;
  if (k?.case === "numberValue") return multiKind === "histogram" ? fmt(k.value) : String(k.value);
  return k?.case === "stringValue" ? k.value : String(k?.value ?? "");
}

/** A sibling pipeline's result over the buckets of the multi-bucket aggregation its path names. */
export function siblingResult(spec: SiblingSpec, siblings: Results, multiKind: string): AggregationResult {
  const multi = siblings[spec.path.multi]?.result;
  const values: { key: string; v: number }[] = [];
  for (const b of multi?.case === "buckets" ? multi.value.buckets : []) {
    const v = bucketValue(b, spec.path.inner, spec.gap);
    if (!Number.isNaN(v)) values.push({ key: keyString(b, multiKind), v });
  }
  const xs = values.map((x) => x.v);
  const sum = xs.reduce((a, v) => a + v, 0);
  switch (spec.kind) {
    case "avg_bucket":
      return valueResult(xs.length ? sum / xs.length : Number.NaN);
    case "sum_bucket":
      return valueResult(sum);
    case "min_bucket":
    case "max_bucket": {
      const best = xs.length ? (spec.kind === "min_bucket" ? Math.min(...xs) : Math.max(...xs)) : Number.NaN;
      const keys = values.filter((x) => x.v === best).map((x) => x.key);
      return create(AggregationResultSchema, {
        result: { case: "bucketValue", value: { value: finiteOrUndefined(best), keys } },
      });
    }
    case "stats_bucket": {
      const s = extendedStats(xs.length, sum, Math.min(...xs), Math.max(...xs), 0, 2);
      const { count, min, max, avg } = s;
      return create(AggregationResultSchema, { result: { case: "stats", value: { count, min, max, avg, sum } } });
    }
    case "extended_stats_bucket": {
      const sumsq = xs.reduce((a, v) => a + v * v, 0);
      const value = extendedStats(xs.length, sum, Math.min(...xs), Math.max(...xs), sumsq, spec.sigma);
      return create(AggregationResultSchema, { result: { case: "extendedStats", value } });
    }
    case "percentiles_bucket": {
      const sorted = [...xs].sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.floor((p / 100) * (sorted.length - 1) + 0.5)];
      return create(AggregationResultSchema, {
        result: {
          case: "percentiles",
          value: { values: spec.percents.map((percent) => ({ percent, value: at(percent) })), asList: !spec.keyed },
        },
      });
    }
  }
}

/**
 * Elasticsearch's extended stats from count, sum, min, max and the sum of squares: population and
 * sample variance (never below 0: rounding), standard deviations and the `sigma` bounds around the mean.
 */
export function extendedStats(
  count: number,
  sum: number,
  min: number,
  max: number,
  sumsq: number,
  sigma: number,
): ExtendedStatsResult {
  if (count === 0) return create(ExtendedStatsResultSchema, { count: 0n, sum: 0, stdDeviationBounds: {} });
  const avg = sum / count;
  const spread = sumsq - (sum * sum) / count;
  const variance = Math.max(0, spread / count);
  const sampling = count > 1 ? Math.max(0, spread / (count - 1)) : Number.NaN;
  const std = Math.sqrt(variance);
  const stdSampling = Math.sqrt(sampling);
  const f = finiteOrUndefined;
  return create(ExtendedStatsResultSchema, {
    count: BigInt(count),
    min: f(min),
    max: f(max),
    avg,
    sum,
    sumOfSquares: sumsq,
    variance,
    variancePopulation: variance,
    varianceSampling: f(sampling),
    stdDeviation: std,
    stdDeviationPopulation: std,
    stdDeviationSampling: f(stdSampling),
    stdDeviationBounds: {
      upper: avg + sigma * std,
      lower: avg - sigma * std,
      upperPopulation: avg + sigma * std,
      lowerPopulation: avg - sigma * std,
      upperSampling: f(avg + sigma * stdSampling),
      lowerSampling: f(avg - sigma * stdSampling),
    },
  });
}

/**
 * Applies the parent pipelines of a multi-bucket aggregation to its buckets: each computed pipeline
 * adds its value to every bucket (those another one reads first), then each `bucket_sort` reorders
 * and truncates. Returns the buckets to show.
 */
export function applyParentPipelines(nodes: readonly PipelineNode[], buckets: Bucket[]): Bucket[] {
  const pending = nodes.filter((n) => n.spec.kind !== "bucket_sort");
  while (pending.length) {
    const names = new Set(pending.map((n) => n.name));
    const i = pending.findIndex((n) => {
      const last = (n.spec as { path: BucketsPath }).path.last;
      return "special" in last || !names.has(last.name);
    });
    const [n] = pending.splice(Math.max(0, i), 1);
    addValues(n!, buckets);
  }
  let shown = buckets;
  for (const n of nodes) if (n.spec.kind === "bucket_sort") shown = bucketSort(n.spec, shown);
  return shown;
}

function addValues(n: PipelineNode, buckets: Bucket[]): void {
  const s = n.spec;
  const set = (b: Bucket, r: AggregationResult) => {
    b.aggregations[n.name] = r;
  };
  if (s.kind === "derivative") {
    let last: { v: number; key: number } | undefined;
    for (const b of buckets) {
      const v = bucketValue(b, s.path, s.gap);
      const key = keyNumber(b);
      if (last) {
        const gradient = v - last.v;
        const per = s.unitMs === undefined ? undefined : (key - last.key) / s.unitMs;
        set(b, valueResult(gradient, per === undefined ? undefined : finiteOrUndefined(gradient / per)));
      }
      last = { v, key };
    }
  } else if (s.kind === "cumulative_sum") {
    let sum = 0;
    for (const b of buckets) {
      const v = bucketValue(b, s.path, "insert_zeros");
      if (Number.isFinite(v)) sum += v;
      set(b, valueResult(sum));
    }
  } else if (s.kind === "serial_diff") {
    const window: number[] = [];
    buckets.forEach((b, i) => {
      const v = bucketValue(b, s.path, s.gap);
      const lagged = i < s.lag ? Number.NaN : window[0]!;
      if (!Number.isNaN(v) && !Number.isNaN(lagged)) set(b, valueResult(v - lagged));
      window.push(v);
      if (window.length > s.lag) window.shift();
    });
  } else if (s.kind === "moving_fn") {
    const values = buckets.map((b) => bucketValue(b, s.path, s.gap));
    const present = values.filter((v) => !Number.isNaN(v));
    const clamp = (i: number) => Math.max(0, Math.min(i, present.length));
    let index = 0;
    buckets.forEach((b, i) => {
      if (Number.isNaN(values[i]!)) return;
      set(b, valueResult(s.fn(present.slice(clamp(index - s.window + s.shift), clamp(index + s.shift)))));
      index++;
    });
  }
}

type Comparable = number | string;

/**
 * Elasticsearch's bucket_sort: each criterion's value per bucket (a gap leaves it out; a bucket with
 * none is dropped under skip and keep_values), a stable sort with missing values last, then from/size.
 */
function bucketSort(s: Extract<PipelineSpec, { kind: "bucket_sort" }>, buckets: Bucket[]): Bucket[] {
  const size = s.size ?? buckets.length;
  if (s.from >= buckets.length) return [];
  if (s.sort.length === 0) return buckets.slice(s.from, s.from + size);
  const rows: { b: Bucket; values: (Comparable | undefined)[] }[] = [];
  for (const b of buckets) {
    const values = s.sort.map((o): Comparable | undefined => {
      const last = o.path.last;
      if (o.path.through.length === 0 && "special" in last && last.special === "_key") {
        const k = b.key?.kind;
        return k?.case === "numberValue" || k?.case === "stringValue" ? k.value : undefined;
      }
      const v = bucketValue(b, o.path, s.gap);
      return s.gap !== "insert_zeros" && Number.isNaN(v) ? undefined : v;
    });
    if (values.some((v) => v !== undefined)) rows.push({ b, values });
  }
  rows.sort((x, y) => {
    for (const [i, o] of s.sort.entries()) {
      const a = x.values[i];
      const c = y.values[i];
      if (a === undefined && c === undefined) continue;
      if (a === undefined) return 1;
      if (c === undefined) return -1;
      const r = a < c ? -1 : a > c ? 1 : 0;
      if (r !== 0) return o.desc ? -r : r;
    }
    return 0;
  });
  return rows.slice(s.from, s.from + size).map((r) => r.b);
}

import type { Bucket } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { dateTrunc } from "../../platform/time/date-trunc.js";
import type { BucketSpec, TermsOrder } from "./agg-tree.js";
import { calendarIndex, calendarStart } from "./auto-date-histogram.js";
import type { Row } from "./convert.js";
import { formatDateAs } from "./date-format.js";
import { MAX_BUCKETS, esError, tooManyBuckets } from "./es-error.js";
import { compareMetric } from "./metric-results.js";

/** Histogram and date histogram keys: every key in range, rounding as the pipeline does, and order. */

/**
 * The bucket keys of a (date) histogram: the keys with data, plus — with min_doc_count 0 — every empty
 * bucket between the first and last and out to extended_bounds. The count is checked before any
 * bucket is made, so a huge range is refused cheaply.
 */
export function histogramKeys(
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

/** Builds one bucket: `raw` is its key as grouped (its children find their rows by it), `shown` the key clients see. */
export type MakeBucket = (raw: unknown, shown: unknown, row: Row | undefined, extra?: Partial<Bucket>) => Bucket;

/** A (date) histogram's buckets: every key in range (empty ones included down to `min_doc_count`). */
export function histogramBuckets(
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
      s.kind === "date_histogram" ? { keyAsString: formatDateAs(key, s.displayZone ?? s.timeZone, s.format) } : {},
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

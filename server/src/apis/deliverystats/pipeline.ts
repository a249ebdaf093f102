import { dayDividingBins } from "../../platform/time/date-trunc.js";
import type { Document } from "mongodb";

/**
 * Series: the mean of the raw 1-minute points per interval bucket. Buckets are aligned to the start's
 * whole seconds modulo the interval (InfluxDB's `GROUP BY time(i, offset)`), keyed by their start in ms.
 */
export function buildSeriesPipeline(match: Document, intervalMs: number, offsetMs: number): Document[] {
  return [
    { $match: match },
    { $group: { _id: bucketStart(intervalMs, offsetMs), mean: { $avg: "$value" } } },
    { $sort: { _id: 1 } },
  ];
}

/**
 * A point's bucket start (epoch ms), aligned to the epoch plus `offsetMs` as InfluxDB's GROUP BY time.
 * Without an offset, an interval that divides a day is one `$dateTrunc` (its bins from 2000-01-01, a
 * whole number of days after the epoch, are the epoch's); otherwise arithmetic on the epoch ms.
 */
function bucketStart(intervalMs: number, offsetMs: number): unknown {
  const bins = offsetMs === 0 ? dayDividingBins(intervalMs) : undefined;
  if (bins) return { $toLong: { $dateTrunc: { date: "$time", ...bins, timezone: "UTC" } } };
  const t = { $toLong: "$time" };
  return {
    $add: [
      { $subtract: [{ $subtract: [t, offsetMs] }, { $mod: [{ $subtract: [t, offsetMs] }, intervalMs] }] },
      offsetMs,
    ],
  };
}

/** Fields of the summary row: the statistics, then the exact percentiles read by rank. */
export interface SummaryDoc {
  count: number;
  average: number;
  min: number;
  max: number;
  p5: number;
  p95: number;
  p98: number;
}

/** The summary's percentiles, as Traffic Ops reports them. */
export const summaryPercentiles = [5, 95, 98] as const;

/** Count, mean, min and max over the raw points: one bounded `$group`. */
export function buildStatsPipeline(match: Document): Document[] {
  return [
    { $match: match },
    {
      $group: {
        _id: null,
        count: { $sum: 1 },
        average: { $avg: "$value" },
        min: { $min: "$value" },
        max: { $max: "$value" },
      },
    },
    { $project: { _id: 0 } },
  ];
}

/**
 * The 0-based rank, in ascending order, of the nearest-rank `p`th percentile of `n` values:
 * `floor(n·p/100 + 0.5) − 1`. Negative for too few values, where Traffic Ops reports 0.
 */
export function percentileRank(n: number, p: number): number {
  return Math.floor((n * p) / 100 + 0.5) - 1;
}

/**
 * The values at the given 0-based ascending ranks, in one sort: `$setWindowFields` numbers the points
 * in value order (`$documentNumber` needs no window, so MongoDB streams it after a sort that spills
 * with `allowDiskUse`), and only the wanted ranks come back. No accumulator ever holds the window's
 * values; real MongoDB's `$percentile` is approximate (t-digest) with another rank rule, so it is
 * deliberately not used. Only the value goes through the sort: the blocking stage holds (and spills)
 * a few bytes per point, not whole documents.
 */
export function buildRanksPipeline(match: Document, ranks: readonly number[]): Document[] {
  return [
    { $match: match },
    { $project: { _id: 0, value: 1 } },
    { $setWindowFields: { sortBy: { value: 1 }, output: { rank: { $documentNumber: {} } } } },
    { $match: { rank: { $in: ranks.map((r) => r + 1) } } },
  ];
}

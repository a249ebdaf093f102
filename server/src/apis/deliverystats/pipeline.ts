import type { Document } from "mongodb";

/**
 * Series: the mean of the raw 1-minute points per interval bucket. Buckets are aligned to the start's
 * whole seconds modulo the interval (InfluxDB's `GROUP BY time(i, offset)`), keyed by their start in ms.
 */
export function buildSeriesPipeline(match: Document, intervalMs: number, offsetMs: number): Document[] {
  const t = { $toLong: "$time" };
  return [
    { $match: match },
    {
      $group: {
        _id: { $add: [{ $subtract: [{ $subtract: [t, offsetMs] }, { $mod: [{ $subtract: [t, offsetMs] }, intervalMs] }] }, offsetMs] },
        mean: { $avg: "$value" },
      },
    },
    { $sort: { _id: 1 } },
  ];
}

/** Fields of the summary row the pipeline returns. */
export interface SummaryDoc {
  count: number;
  average: number;
  min: number;
  max: number;
  p5: number;
  p95: number;
  p98: number;
}

/**
 * Summary over the raw points: mean, count, min, max and nearest-rank percentiles, exact: the values
 * are sorted and pushed (order is kept by `$push` after `$sort`), then picked at index
 * `floor(n·p/100 + 0.5) − 1`, or 0 when that index is negative. Real MongoDB's `$percentile` is
 * approximate (t-digest) and uses another rank rule, so it is deliberately not used.
 */
export function buildSummaryPipeline(match: Document): Document[] {
  const pick = (p: number) => {
    const idx = { $subtract: [{ $floor: { $add: [{ $multiply: ["$count", p / 100] }, 0.5] } }, 1] };
    return { $cond: [{ $lt: [idx, 0] }, 0, { $arrayElemAt: ["$values", idx] }] };
  };
  return [
    { $match: match },
    { $sort: { value: 1 } },
    { $group: { _id: null, values: { $push: "$value" }, count: { $sum: 1 }, average: { $avg: "$value" }, min: { $min: "$value" }, max: { $max: "$value" } } },
    { $project: { _id: 0, count: 1, average: 1, min: 1, max: 1, p5: pick(5), p95: pick(95), p98: pick(98) } },
  ];
}

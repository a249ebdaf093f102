import type { Document } from "mongodb";

/**
 * Aggregates per (date, label): histograms of every matching dimension combination summed element by
 * element, `sum` and `count` added; dimensions not named in `match` are summed over. The histograms
 * are unwound and summed per bucket index, so no accumulator holds more than one histogram's buckets
 * (a `$push` of every matching histogram would pass MongoDB's 100 MB accumulator limit at scale);
 * `$sortArray` puts the buckets back in index order.
 */
export function buildAggregatesPipeline(match: Document): Document[] {
  const first = { $eq: [{ $ifNull: ["$i", 0] }, 0] };
  return [
    { $match: match },
    { $unwind: { path: "$histogram", includeArrayIndex: "i", preserveNullAndEmptyArrays: true } },
    {
      $group: {
        _id: { date: "$date", label: "$label", i: "$i" },
        v: { $sum: "$histogram" },
        // Each document's sum and count once: on its first bucket (or its only row, when empty).
        sum: { $sum: { $cond: [first, "$sum", 0] } },
        count: { $sum: { $cond: [first, "$count", 0] } },
      },
    },
    {
      $group: {
        _id: { date: "$_id.date", label: "$_id.label" },
        buckets: { $push: { i: "$_id.i", v: "$v" } },
        sum: { $sum: "$sum" },
        count: { $sum: "$count" },
      },
    },
    {
      $project: {
        _id: 0,
        date: "$_id.date",
        label: "$_id.label",
        sum: 1,
        count: 1,
        histogram: { $map: { input: { $sortArray: { input: { $filter: { input: "$buckets", cond: { $ne: ["$$this.i", null] } } }, sortBy: { i: 1 } } }, in: "$$this.v" } },
      },
    },
    { $sort: { date: 1, label: 1 } },
  ];
}

/** Merges one submission into the stored aggregate, element-wise, in the database (an update pipeline). */
/** Batch ids a histogram document remembers (the newest), guarding its additive merge. */
export const REMEMBERED_BATCHES = 64;

export function buildMergeUpdate(histogram: readonly number[], sum: number, count: number, batchId: string): Document[] {
  return [
    {
      $set: {
        histogram: {
          $cond: [
            { $isArray: "$histogram" },
            { $map: { input: { $range: [0, histogram.length] }, as: "i", in: { $add: [{ $arrayElemAt: ["$histogram", "$$i"] }, { $arrayElemAt: [{ $literal: histogram }, "$$i"] }] } } },
            { $literal: histogram },
          ],
        },
        sum: { $add: [{ $ifNull: ["$sum", 0] }, sum] },
        count: { $add: [{ $ifNull: ["$count", 0] }, count] },
        batches: { $slice: [{ $concatArrays: [{ $ifNull: ["$batches", []] }, [{ $literal: batchId }]] }, -REMEMBERED_BATCHES] },
      },
    },
  ];
}

import type { Document } from "mongodb";

/**
 * Aggregates per (date, label): histograms of every matching dimension combination summed element by
 * element (`$reduce` over `$map`), `sum` and `count` added. Dimensions not named in `match` are summed over.
 */
export function buildAggregatesPipeline(match: Document): Document[] {
  return [
    { $match: match },
    { $group: { _id: { date: "$date", label: "$label" }, hs: { $push: "$histogram" }, sum: { $sum: "$sum" }, count: { $sum: "$count" } } },
    {
      $project: {
        _id: 0,
        date: "$_id.date",
        label: "$_id.label",
        sum: 1,
        count: 1,
        histogram: {
          $reduce: {
            input: "$hs",
            initialValue: [],
            in: {
              $cond: [
                { $eq: [{ $size: "$$value" }, 0] },
                "$$this",
                { $map: { input: { $range: [0, { $size: "$$this" }] }, as: "i", in: { $add: [{ $arrayElemAt: ["$$value", "$$i"] }, { $arrayElemAt: ["$$this", "$$i"] }] } } },
              ],
            },
          },
        },
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

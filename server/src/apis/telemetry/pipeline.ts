import type { Document } from "mongodb";

/**
 * Aggregates per (date, label): histograms of every matching dimension combination summed element by
 * element, `sum` and `count` added; dimensions not named in `match` are summed over. The metric's
 * definition gives the bucket count, so each bucket is its own `$sum` accumulator: one `$group`, a
 * fixed amount of state per (date, label) whatever the number of histograms (a `$push` of every
 * histogram would pass MongoDB's 100 MB accumulator limit at scale). `minLength`/`maxLength` let the
 * caller refuse stored histograms whose layout does not match the definition.
 */
export function buildAggregatesPipeline(match: Document, buckets: number): Document[] {
  const group: Document = {
    _id: { date: "$date", label: "$label" },
    sum: { $sum: "$sum" },
    count: { $sum: "$count" },
    minLength: { $min: { $cond: [{ $isArray: "$histogram" }, { $size: "$histogram" }, -1] } },
    maxLength: { $max: { $cond: [{ $isArray: "$histogram" }, { $size: "$histogram" }, -1] } },
  };
  for (let i = 0; i < buckets; i++) group[`b${i}`] = { $sum: { $arrayElemAt: ["$histogram", i] } };
  return [
    { $match: match },
    { $group: group },
    {
      $project: {
        _id: 0,
        date: "$_id.date",
        label: "$_id.label",
        sum: 1,
        count: 1,
        minLength: 1,
        maxLength: 1,
        histogram: Array.from({ length: buckets }, (_, i) => `$b${i}`),
      },
    },
    { $sort: { date: 1, label: 1 } },
  ];
}

/**
 * The distinct values of each dimension for a channel and version. `$addToSet` is bounded here by the
 * number of distinct values (metric names, OSes…), never by the number of histograms.
 */
export function buildFiltersPipeline(channel: string, version: string): Document[] {
  const distinct = (f: unknown) => ({ $addToSet: f });
  return [
    { $match: { channel, version } },
    {
      $group: {
        _id: null,
        metric: distinct("$metric"),
        application: distinct("$application"),
        architecture: distinct("$architecture"),
        os: distinct({ $concat: ["$os", ",", "$osVersion"] }),
        child: distinct("$child"),
      },
    },
  ];
}

/** Batch ids a histogram document remembers (the newest), guarding its additive merge. */
export const REMEMBERED_BATCHES = 64;

/** Merges one submission into the stored aggregate, element-wise, in the database (an update pipeline that remembers the batch). */
export function buildMergeUpdate(
  histogram: readonly number[],
  sum: number,
  count: number,
  batchId: string,
): Document[] {
  return [
    {
      $set: {
        histogram: {
          $cond: [
            { $isArray: "$histogram" },
            {
              $map: {
                input: { $range: [0, histogram.length] },
                as: "i",
                in: {
                  $add: [{ $arrayElemAt: ["$histogram", "$$i"] }, { $arrayElemAt: [{ $literal: histogram }, "$$i"] }],
                },
              },
            },
            { $literal: histogram },
          ],
        },
        sum: { $add: [{ $ifNull: ["$sum", 0] }, sum] },
        count: { $add: [{ $ifNull: ["$count", 0] }, count] },
        batches: {
          $slice: [{ $concatArrays: [{ $ifNull: ["$batches", []] }, [{ $literal: batchId }]] }, -REMEMBERED_BATCHES],
        },
      },
    },
  ];
}

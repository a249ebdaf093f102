import type { Document } from "mongodb";
import type { SummaryQuery } from "./request.js";

const statusReasons = {
  succeeded: ["Succeeded", "Completed"],
  failed: ["Failed"],
  cancelled: ["Cancelled"],
  running: ["Running"],
} as const;
const known = Object.values(statusReasons).flat();

/** The stored fields a summary row is computed from (what `$group` produces). */
export interface SummaryRow {
  _id: Date | string | null;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
  others: number;
  lastRuntime: Date | null;
  durCount: number;
  durAvg: number | null;
  durMin: number | null;
  durMax: number | null;
  durSum: number;
}

/** The sort key for each summary name, over SummaryRow fields. */
const sortKeys: Record<string, string> = {
  total: "total",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
  running: "running",
  others: "others",
  last_runtime: "lastRuntime",
  avg_duration: "durAvg",
  min_duration: "durMin",
  max_duration: "durMax",
  total_duration: "durSum",
};

/**
 * The summary pipeline (after TenantScope's tenant `$match`): match parent and filter, compute the
 * duration per record, group, order. Durations are milliseconds; formatting is the converter's job.
 */
export function buildSummaryPipeline(q: SummaryQuery, filter: Document): Document[] {
  const match: Document = { ...filter };
  if (q.namespace !== undefined) match.namespace = q.namespace;
  if (q.result !== undefined) match.result = q.result;
  const stages: Document[] = [];
  if (Object.keys(match).length) stages.push({ $match: match });
  stages.push({ $project: { g: groupKey(q), reason: 1, startTime: 1, dur: durationMs } });
  stages.push({ $group: summaryGroup });
  stages.push(...orderStages(q));
  return stages;
}

/**
 * A record's duration in milliseconds, with microsecond fractions where the record has them (as
 * upstream's Postgres keeps times), else from the millisecond dates; null when either end is missing.
 */
const durationMs: Document = {
  $cond: [
    { $and: [{ $isNumber: "$startUs" }, { $isNumber: "$completionUs" }] },
    { $divide: [{ $subtract: ["$completionUs", "$startUs"] }, 1000] },
    {
      $cond: [
        {
          $and: [
            { $ne: [{ $ifNull: ["$startTime", null] }, null] },
            { $ne: [{ $ifNull: ["$completionTime", null] }, null] },
          ],
        },
        { $subtract: ["$completionTime", "$startTime"] },
        null,
      ],
    },
  ],
};

/** Counts records whose reason is one of `reasons`. */
const countOf = (reasons: readonly string[]) => ({
  $sum: { $cond: [{ $in: [{ $ifNull: ["$reason", null] }, [...reasons]] }, 1, 0] },
});

/** Every summary value of a group (all scalar accumulators: nothing grows with the group). */
const summaryGroup: Document = {
  _id: "$g",
  total: { $sum: 1 },
  succeeded: countOf(statusReasons.succeeded),
  failed: countOf(statusReasons.failed),
  cancelled: countOf(statusReasons.cancelled),
  running: countOf(statusReasons.running),
  others: {
    $sum: {
      $cond: [{ $and: [{ $gt: [{ $ifNull: ["$reason", ""] }, ""] }, { $not: [{ $in: ["$reason", known] }] }] }, 1, 0],
    },
  },
  lastRuntime: { $max: "$startTime" },
  durCount: { $sum: { $cond: [{ $eq: ["$dur", null] }, 0, 1] } },
  durAvg: { $avg: "$dur" },
  durMin: { $min: "$dur" },
  durMax: { $max: "$dur" },
  durSum: { $sum: "$dur" },
};

/**
 * The order: `order_by` first, with Postgres' NULL placement (the engine upstream runs: NULLs last
 * ascending, first descending, where MongoDB puts null lowest; a 0/1 "is null" key sorted the same
 * way comes first), then the group key, so the order is total.
 */
function orderStages(q: SummaryQuery): Document[] {
  const stages: Document[] = [];
  const sort: Document = {};
  if (q.orderBy) {
    const key = sortKeys[q.orderBy.field]!;
    stages.push({ $set: { _nullKey: { $cond: [{ $eq: [{ $ifNull: [`$${key}`, null] }, null] }, 1, 0] } } });
    sort._nullKey = q.orderBy.direction;
    sort[key] = q.orderBy.direction;
  }
  sort._id = 1;
  stages.push({ $sort: sort });
  return stages;
}

function groupKey(q: SummaryQuery): unknown {
  switch (q.groupBy.kind) {
    case "none":
      return null;
    case "time":
      return {
        $dateTrunc: {
          date: { $ifNull: [`$${q.groupBy.field}`, null] },
          unit: q.groupBy.unit,
          timezone: "UTC",
          startOfWeek: "monday",
        },
      };
    case "field":
      if (q.groupBy.field === "namespace") return "$namespace";
      return { $concat: ["$namespace", "/", { $ifNull: [`$${q.groupBy.field}`, ""] }] };
  }
}

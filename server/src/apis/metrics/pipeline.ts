import type { Document } from "mongodb";
import type { ColumnDef } from "./catalogue.js";

const accumulator = { sum: "$sum", min: "$min", max: "$max", avg: "$avg" } as const;

/**
 * Plot data in one aggregate for every selected column. `merge`: values of all matched choices are
 * combined per hour by each column's aggregate (with `n_<col>` counting non-null inputs, so an hour
 * where every choice was null stays null rather than summing to 0). Otherwise one row per choice and hour.
 */
export function buildPlotPipeline(match: Document, columns: readonly ColumnDef[], merge: boolean): Document[] {
  if (!merge) {
    const project: Document = { _id: 0, choiceId: 1, hour: 1 };
    for (const c of columns) project[c.name] = `$values.${c.name}`;
    return [{ $match: match }, { $project: project }, { $sort: { hour: 1, choiceId: 1 } }];
  }
  const group: Document = { _id: "$hour" };
  for (const c of columns) {
    group[c.name] = { [accumulator[c.aggregate]]: `$values.${c.name}` };
    group[`n_${c.name}`] = { $sum: { $cond: [{ $eq: [{ $ifNull: [`$values.${c.name}`, null] }, null] }, 0, 1] } };
  }
  return [{ $match: match }, { $group: group }, { $sort: { _id: 1 } }];
}

/** Measures summarised per event into `X_sum/min/max/avg` columns, by metrics type. */
export const eventMeasures: Readonly<Record<string, readonly string[]>> = {
  "job-types": ["queue_time", "pre_time", "job_time", "post_time", "run_time", "stage_time"],
  errors: [],
  ingests: ["file_size", "transfer_time", "ingest_time"],
};

/** Count columns and the event condition that adds one to each. */
export function eventCounts(type: string): Record<string, Document> {
  const is = (field: string, value: string) => ({ $eq: [`$${field}`, value] });
  switch (type) {
    case "job-types":
      return {
        completed_count: is("outcome", "completed"),
        failed_count: is("outcome", "failed"),
        canceled_count: is("outcome", "canceled"),
        total_count: { $in: ["$outcome", ["completed", "failed", "canceled"]] },
        error_system_count: { $and: [is("outcome", "failed"), is("errorCategory", "system")] },
        error_data_count: { $and: [is("outcome", "failed"), is("errorCategory", "data")] },
        error_algorithm_count: { $and: [is("outcome", "failed"), is("errorCategory", "algorithm")] },
      };
    case "errors":
      return { total_count: { $literal: true } };
    default:
      return {
        deferred_count: is("outcome", "deferred"),
        ingested_count: is("outcome", "ingested"),
        errored_count: is("outcome", "errored"),
        duplicate_count: is("outcome", "duplicate"),
        total_count: { $in: ["$outcome", ["deferred", "ingested", "errored", "duplicate"]] },
      };
  }
}

/**
 * Re-derives the hourly rows of the given (choice, hour) pairs from the stored raw events, so the
 * rows stay exact however events arrive (in any order, replayed, or in several batches).
 */
export function buildRollupPipeline(type: string, keys: readonly { choiceId: number; hour: Date }[]): Document[] {
  const group: Document = { _id: { choiceId: "$choiceId", hour: "$hour" } };
  const project: Document = { _id: 0, choiceId: "$_id.choiceId", hour: "$_id.hour" };
  for (const [col, cond] of Object.entries(eventCounts(type))) {
    group[col] = { $sum: { $cond: [cond, 1, 0] } };
    project[`values.${col}`] = `$${col}`;
  }
  for (const m of eventMeasures[type] ?? []) {
    const v = `$measures.${m}`;
    group[`${m}_sum`] = { $sum: v };
    group[`${m}_min`] = { $min: v };
    group[`${m}_max`] = { $max: v };
    group[`${m}_avg`] = { $avg: v };
    group[`${m}_n`] = { $sum: { $cond: [{ $eq: [{ $ifNull: [v, null] }, null] }, 0, 1] } };
    for (const a of ["min", "max", "avg"]) project[`values.${m}_${a}`] = `$${m}_${a}`;
    project[`values.${m}_sum`] = { $cond: [{ $eq: [`$${m}_n`, 0] }, null, `$${m}_sum`] };
  }
  return [
    { $match: { type, $or: keys.map((k) => ({ choiceId: k.choiceId, hour: k.hour })) } },
    { $group: group },
    { $project: project },
  ];
}

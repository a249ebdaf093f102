import type { Document } from "mongodb";
import type { MetricNode } from "./agg-tree.js";
import { topHitsAccumulator } from "./top-hits.js";

/** Accumulators of metrics (`m<id>`, or `m<id>_<value>` for multi-value metrics) and the MAD's second read. */

/** The median of |value − median| over the documents, as MongoDB's approximate `$percentile`. */
export function deviationMedian(m: MetricNode, median: number): Document[] {
  const v = `$${(m.spec as { field: { path: string } }).field.path}`;
  const deviation = { $cond: [{ $isNumber: v }, { $abs: { $subtract: [v, median] } }, null] };
  return [{ $group: { _id: null, mad: { $percentile: { input: deviation, p: [0.5], method: "approximate" } } } }];
}

/**
 * The `$group` accumulators of a node's metric children. Over 60 lines on purpose: one case per metric
 * kind, so what each costs in the `$group` reads in one place.
 */
export function accumulators(metrics: readonly MetricNode[]): Document {
  const out: Document = {};
  for (const m of metrics) {
    const key = `m${m.id}`;
    if (m.spec.kind === "top_hits") {
      out[key] = topHitsAccumulator(m.spec);
      continue;
    }
    if (m.spec.kind === "top_metrics") {
      const s = m.spec;
      out[key] = {
        $topN: {
          n: s.size,
          sortBy: { [s.sort.field.path]: s.sort.desc ? -1 : 1, jobId: 1 },
          output: { s: `$${s.sort.field.path}`, m: s.metrics.map((x) => `$${x.field.path}`) },
        },
      };
      continue;
    }
    const v = `$${m.spec.field.path}`;
    const present = { $sum: { $cond: [{ $eq: [{ $ifNull: [v, null] }, null] }, 0, 1] } };
    switch (m.spec.kind) {
      case "avg":
        out[key] = { $avg: v };
        break;
      case "sum":
        out[key] = { $sum: v };
        break;
      case "min":
        out[key] = { $min: v };
        break;
      case "max":
        out[key] = { $max: v };
        break;
      case "value_count":
        out[key] = present;
        break;
      case "cardinality":
        // Counted by its own pipeline (distinctCount).
        break;
      case "extended_stats":
        // The sum of squares too (only of numbers: $multiply would fail on a stored string).
        out[`${key}_sumsq`] = { $sum: { $cond: [{ $isNumber: v }, { $multiply: [v, v] }, null] } };
        Object.assign(out, statsAccumulators(key, v));
        break;
      case "stats":
        Object.assign(out, statsAccumulators(key, v));
        break;
      case "weighted_avg": {
        // Documents count only with both a number value and a number weight (Elasticsearch skips the rest).
        const w = `$${m.spec.weight.path}`;
        const both = { $and: [{ $isNumber: v }, { $isNumber: w }] };
        out[`${key}_vw`] = { $sum: { $cond: [both, { $multiply: [v, w] }, 0] } };
        out[`${key}_w`] = { $sum: { $cond: [both, w, 0] } };
        break;
      }
      case "median_absolute_deviation":
        // The first read: the median (the second, deviationMedian, needs it).
        out[`${key}_median`] = { $percentile: { input: v, p: [0.5], method: "approximate" } };
        break;
      case "percentile_ranks":
        // Exact: how many numbers are at or below each value, and how many there are.
        out[`${key}_count`] = { $sum: { $cond: [{ $isNumber: v }, 1, 0] } };
        m.spec.values.forEach((x, i) => {
          out[`${key}_r${i}`] = { $sum: { $cond: [{ $and: [{ $isNumber: v }, { $lte: [v, x] }] }, 1, 0] } };
        });
        break;
      case "percentiles":
        out[key] = { $percentile: { input: v, p: m.spec.percents.map((p) => p / 100), method: "approximate" } };
        break;
    }
  }
  return out;
}

/** count, min, max, avg and sum of one field, as `<key>_<value>`. */
function statsAccumulators(key: string, v: string): Document {
  return {
    [`${key}_count`]: { $sum: { $cond: [{ $isNumber: v }, 1, 0] } },
    [`${key}_min`]: { $min: v },
    [`${key}_max`]: { $max: v },
    [`${key}_avg`]: { $avg: v },
    [`${key}_sum`]: { $sum: v },
  };
}

import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { MetricSpec } from "./agg-tree.js";
import type { AggValue } from "./bucket-specs.js";
import { esError } from "./es-error.js";
import { requireField, resolveField } from "./fields.js";
import { topHitsSpec } from "./top-hits.js";

/** Each metric aggregation's settings, validated with Elasticsearch's messages. */

export function metricSpec(name: string, k: Aggregation["kind"]): MetricSpec {
  switch (k.case) {
    case "percentiles": {
      const field = requireField(name, k.value.field, "percentiles");
      const percents = k.value.percents.length ? [...k.value.percents] : [1, 5, 25, 50, 75, 95, 99];
      for (const p of percents)
        if (!(p >= 0 && p <= 100)) throw esError(`percent must be in [0,100], got [${p}]: [${name}]`);
      return { kind: "percentiles", field, percents, keyed: true };
    }
    case "valueCount":
      return { kind: "value_count", field: requireField(name, k.value.field, "value_count") };
    case "topHits":
      return topHitsSpec(name, k.value);
    case "medianAbsoluteDeviation":
      return {
        kind: "median_absolute_deviation",
        field: requireField(name, k.value.field, "median_absolute_deviation"),
      };
    case "weightedAvg":
      if (!k.value.value || !k.value.weight) throw esError(`[value] and [weight] are required in [${name}]`);
      return {
        kind: "weighted_avg",
        field: requireField(name, k.value.value.field, "weighted_avg"),
        weight: requireField(name, k.value.weight.field, "weighted_avg"),
      };
    case "percentileRanks": {
      const values = [...k.value.values];
      if (values.length === 0) throw esError(`[values] must not be empty in [${name}]`);
      if (values.length > 100) throw esError(`[values] takes at most 100 values in [${name}]`);
      return {
        kind: "percentile_ranks",
        field: requireField(name, k.value.field, "percentile_ranks"),
        values,
        keyed: k.value.keyed ?? true,
      };
    }
    case "topMetrics":
      return topMetricsSpec(name, k.value);
    case "extendedStats": {
      const sigma = k.value.sigma ?? 2;
      if (!(sigma >= 0)) throw esError(`[sigma] must be greater than or equal to 0. Found [${sigma}] in [${name}]`);
      return { kind: "extended_stats", field: requireField(name, k.value.field, "extended_stats"), sigma };
    }
    case "avg":
    case "sum":
    case "min":
    case "max":
    case "stats":
    case "cardinality":
      return { kind: k.case, field: requireField(name, k.value.field, k.case) };
    default:
      throw esError(`Unknown aggregation type [${String(k.case)}]`);
  }
}

/** Elasticsearch's default cap on `top_metrics` size (`index.max_top_metrics_size`). */
const MAX_TOP_METRICS = 10;

function topMetricsSpec(name: string, v: AggValue<"topMetrics">): MetricSpec {
  const size = v.size ?? 1;
  if (size < 1 || size > MAX_TOP_METRICS)
    throw esError(`[top_metrics.size] must not be more than [${MAX_TOP_METRICS}] but was [${size}]`);
  if (v.sort.length !== 1) throw esError(`[sort] must contain exactly one sort in [${name}]`);
  if (v.metrics.length === 0 || v.metrics.length > 16) throw esError(`[metrics] takes 1 to 16 fields in [${name}]`);
  const s = v.sort[0]!;
  return {
    kind: "top_metrics",
    metrics: v.metrics.map((m) => ({ name: m.field, field: resolveField(m.field) })),
    sort: { name: s.path, field: resolveField(s.path), desc: s.desc },
    size,
  };
}

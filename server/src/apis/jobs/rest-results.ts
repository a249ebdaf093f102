import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { AggregationResult, Bucket, ExtendedStatsResult } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { RestJson } from "../../transcoding/rest-json.js";
import { fmt } from "./agg-tree.js";

/** Typed aggregation results in Elasticsearch's JSON shapes. */

/** Typed results → Elasticsearch's JSON shapes. */
export function resultsJson(results: Readonly<Record<string, AggregationResult>>): Record<string, RestJson> {
  const out: Record<string, RestJson> = {};
  for (const [name, r] of Object.entries(results)) out[name] = resultJson(r);
  return out;
}

// Over 60 lines on purpose: one case per result shape of Elasticsearch's JSON.
function resultJson(r: AggregationResult): RestJson {
  const v = r.result;
  switch (v.case) {
    case "buckets": {
      const buckets = v.value.buckets.map(bucketJson);
      const head: Record<string, RestJson> =
        v.value.sumOtherDocCount !== undefined
          ? {
              doc_count_error_upper_bound: v.value.docCountErrorUpperBound ?? 0n,
              sum_other_doc_count: v.value.sumOtherDocCount,
            }
          : {};
      if (v.value.afterKey) head.after_key = toJson(ValueSchema, v.value.afterKey) as RestJson;
      if (v.value.interval) return { ...head, buckets, interval: v.value.interval };
      if (!v.value.keyed) return { ...head, buckets };
      const keyed: Record<string, RestJson> = {};
      // Histograms (numeric keys) are keyed by key_as_string (or the key as a double) and keep their
      // key inside; range and filters buckets are keyed by their key alone, as Elasticsearch prints them.
      v.value.buckets.forEach((b, i) => {
        const { key, ...rest } = buckets[i] as Record<string, RestJson>;
        if (typeof key === "number") keyed[b.keyAsString ?? fmt(key)] = buckets[i]!;
        else keyed[String(key ?? toJson(ValueSchema, b.key!))] = rest;
      });
      return { ...head, buckets: keyed };
    }
    case "single":
      return { doc_count: v.value.docCount, ...resultsJson(v.value.aggregations) };
    case "value":
      return v.value.normalizedValue !== undefined
        ? { value: v.value.value ?? null, normalized_value: v.value.normalizedValue }
        : { value: v.value.value ?? null };
    case "stats":
      return {
        count: v.value.count,
        min: v.value.min ?? null,
        max: v.value.max ?? null,
        avg: v.value.avg ?? null,
        sum: v.value.sum,
      };
    case "percentiles":
      if (v.value.asList) return { values: v.value.values.map((p) => ({ key: p.percent, value: p.value ?? null })) };
      return { values: Object.fromEntries(v.value.values.map((p) => [fmt(p.percent), p.value ?? null])) };
    case "bucketValue":
      return { value: v.value.value ?? null, keys: v.value.keys };
    case "extendedStats":
      return extendedStatsJson(v.value);
    case "topMetrics":
      return {
        top: v.value.top.map((t) => ({
          sort: t.sort.map((x) => toJson(ValueSchema, x) as RestJson),
          metrics: (t.metrics ?? {}) as RestJson,
        })),
      };
    case "topHits":
      return {
        hits: {
          total: { value: v.value.total, relation: "eq" },
          max_score: null,
          hits: v.value.hits.map((h) => ({
            _index: "jobs",
            _id: h.id,
            _score: null,
            ...(h.source ? { _source: h.source as RestJson } : {}),
            ...(h.sort.length ? { sort: h.sort.map((x) => toJson(ValueSchema, x) as RestJson) } : {}),
          })),
        },
      };
    default:
      return null;
  }
}

/** Elasticsearch's extended_stats object (no value: null). */
function extendedStatsJson(e: ExtendedStatsResult): RestJson {
  const n = (x: number | undefined) => x ?? null;
  const b = e.stdDeviationBounds;
  return {
    count: e.count,
    min: n(e.min),
    max: n(e.max),
    avg: n(e.avg),
    sum: e.sum,
    sum_of_squares: n(e.sumOfSquares),
    variance: n(e.variance),
    variance_population: n(e.variancePopulation),
    variance_sampling: n(e.varianceSampling),
    std_deviation: n(e.stdDeviation),
    std_deviation_population: n(e.stdDeviationPopulation),
    std_deviation_sampling: n(e.stdDeviationSampling),
    std_deviation_bounds: {
      upper: n(b?.upper),
      lower: n(b?.lower),
      upper_population: n(b?.upperPopulation),
      lower_population: n(b?.lowerPopulation),
      upper_sampling: n(b?.upperSampling),
      lower_sampling: n(b?.lowerSampling),
    },
  };
}

function bucketJson(b: Bucket): RestJson {
  return {
    ...(b.keyAsString !== undefined ? { key_as_string: b.keyAsString } : {}),
    key: b.key ? (toJson(ValueSchema, b.key) as RestJson) : null,
    ...(b.from !== undefined ? { from: b.from } : {}),
    ...(b.fromAsString !== undefined ? { from_as_string: b.fromAsString } : {}),
    ...(b.to !== undefined ? { to: b.to } : {}),
    ...(b.toAsString !== undefined ? { to_as_string: b.toAsString } : {}),
    doc_count: b.docCount,
    ...resultsJson(b.aggregations),
  };
}

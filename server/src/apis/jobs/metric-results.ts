import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { type AggregationResult, AggregationResultSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { MetricNode } from "./agg-tree.js";
import type { Row } from "./convert.js";
import { extendedStats } from "./pipeline-values.js";
import type { TopHitsSpec } from "./top-hits.js";

/** Metric results from a grouped row, and the value helpers the converter shares. */

// Over 60 lines on purpose: one case per metric kind, mirroring accumulators.ts.
export function metricResult(m: MetricNode, row: Row | undefined): AggregationResult {
  const key = `m${m.id}`;
  const num = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === "number" ? v : undefined);
  switch (m.spec.kind) {
    case "stats":
      return create(AggregationResultSchema, {
        result: {
          case: "stats",
          value: {
            count: BigInt(row?.[`${key}_count`] ?? 0),
            min: num(row?.[`${key}_min`]),
            max: num(row?.[`${key}_max`]),
            avg: num(row?.[`${key}_avg`]),
            sum: num(row?.[`${key}_sum`]) ?? 0,
          },
        },
      });
    case "top_hits":
      return topHitsResult(m.spec, row?.[key], row?.doc_count ?? 0);
    case "weighted_avg": {
      const w = num(row?.[`${key}_w`]) ?? 0;
      const value = w === 0 ? undefined : (num(row?.[`${key}_vw`]) ?? 0) / w;
      return create(AggregationResultSchema, { result: { case: "value", value: { value } } });
    }
    case "percentile_ranks": {
      const count = Number(row?.[`${key}_count`] ?? 0);
      const values = m.spec.values.map((percent, i) => ({
        percent,
        value: count === 0 ? undefined : (100 * Number(row?.[`${key}_r${i}`] ?? 0)) / count,
      }));
      return create(AggregationResultSchema, {
        result: { case: "percentiles", value: { values, asList: !m.spec.keyed } },
      });
    }
    case "top_metrics": {
      const s = m.spec;
      const top = ((row?.[key] as { s: unknown; m: unknown[] }[] | undefined) ?? []).map((t) => ({
        sort: [jsonValue(t.s instanceof Date ? t.s.getTime() : t.s)],
        metrics: Object.fromEntries(s.metrics.map((x, i) => [x.name, sourceJson(t.m[i] ?? null)])) as JsonObject,
      }));
      return create(AggregationResultSchema, { result: { case: "topMetrics", value: { top } } });
    }
    case "extended_stats": {
      const count = Number(row?.[`${key}_count`] ?? 0);
      const value = extendedStats(
        count,
        num(row?.[`${key}_sum`]) ?? 0,
        num(row?.[`${key}_min`]) ?? Number.NaN,
        num(row?.[`${key}_max`]) ?? Number.NaN,
        num(row?.[`${key}_sumsq`]) ?? 0,
        m.spec.sigma,
      );
      return create(AggregationResultSchema, { result: { case: "extendedStats", value } });
    }
    case "percentiles": {
      const values = (row?.[key] as unknown[] | undefined) ?? [];
      return create(AggregationResultSchema, {
        result: {
          case: "percentiles",
          value: { values: m.spec.percents.map((percent, i) => ({ percent, value: num(values[i]) })) },
        },
      });
    }
    case "sum":
    case "value_count":
    case "cardinality":
      return create(AggregationResultSchema, { result: { case: "value", value: { value: num(row?.[key]) ?? 0 } } });
    default:
      return create(AggregationResultSchema, { result: { case: "value", value: { value: num(row?.[key]) } } });
  }
}

/** Metric values as MongoDB's `$sort` orders them: null (no value) before every number. */
export function compareMetric(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareKeys(a, b);
}

/** Bucket keys in order: numbers numerically, anything else as text. */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** A key or value as a google.protobuf.Value (objects as structs, arrays as lists). */
export function jsonValue(v: unknown): Value {
  if (Array.isArray(v))
    return create(ValueSchema, { kind: { case: "listValue", value: { values: v.map(jsonValue) } } });
  if (v !== null && typeof v === "object" && !(v instanceof Date))
    return create(ValueSchema, {
      kind: {
        case: "structValue",
        value: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)])) },
      },
    });
  if (typeof v === "number") return create(ValueSchema, { kind: { case: "numberValue", value: v } });
  if (typeof v === "boolean") return create(ValueSchema, { kind: { case: "boolValue", value: v } });
  if (v === null || v === undefined) return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  return create(ValueSchema, { kind: { case: "stringValue", value: String(v) } });
}

/** A `$topN` output row: the job id, its `_source` and its sort values. */
interface HitRow {
  id: string;
  src?: Record<string, unknown>;
  s: unknown[];
}

/** Dates as Elasticsearch shows them in `_source` (ISO 8601) and in `sort` (epoch milliseconds). */
function sourceJson(v: unknown): JsonValue {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(sourceJson);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sourceJson(x)]));
  return (v ?? null) as JsonValue;
}

function topHitsResult(s: TopHitsSpec, stored: unknown, total: number): AggregationResult {
  const rows = ((stored as HitRow[] | undefined) ?? []).slice(s.from, s.from + s.size);
  return create(AggregationResultSchema, {
    result: {
      case: "topHits",
      value: {
        total: BigInt(total),
        hits: rows.map((h) => ({
          id: h.id,
          source: h.src ? (sourceJson(h.src) as JsonObject) : undefined,
          sort: s.sorted ? h.s.map((v) => jsonValue(v instanceof Date ? v.getTime() : v)) : [],
        })),
      },
    },
  });
}

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type GetAggregatesResponse,
  GetAggregatesResponseSchema,
  type GetFiltersResponse,
  GetFiltersResponseSchema,
} from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import type { DefinitionDoc } from "./definition-doc.js";

/** One row of the aggregates pipeline: a (date, label)'s summed histogram and its stored layouts' extremes. */
export interface AggregateRow {
  date: string;
  label: string;
  count: number;
  sum: number;
  histogram: number[];
  minLength: number;
  maxLength: number;
}

/** The filters pipeline's row: each dimension's distinct values. */
export type FilterValues = Record<"metric" | "application" | "architecture" | "os" | "child", string[]>;

/** A stored count as int64: an integer within range, else a clear error naming where it is. */
function int64Of(v: unknown, where: string): bigint {
  if (typeof v !== "number" || !Number.isInteger(v) || Math.abs(v) >= 2 ** 63) {
    throw new ConnectError(`stored counts of ${where} are out of the int64 range`, Code.FailedPrecondition);
  }
  return BigInt(v);
}

/**
 * The aggregates answer: the definition's buckets and each (date, label)'s histogram. Whatever is
 * stored, a read answers or names what is wrong (a layout that does not match, a count out of range);
 * it never fails as Internal.
 */
export function aggregatesResponse(
  metric: string,
  def: DefinitionDoc,
  rows: readonly AggregateRow[],
): GetAggregatesResponse {
  const length = def.kind === "categorical" ? def.labels.length : def.buckets.length;
  return create(GetAggregatesResponseSchema, {
    buckets: def.kind === "categorical" ? def.labels : def.buckets.map(String),
    kind: def.kind,
    description: def.description,
    data: rows.map((d) => {
      const where = `${metric} on ${d.date}${d.label ? ` (label ${d.label})` : ""}`;
      if (d.minLength !== length || d.maxLength !== length) {
        throw new ConnectError(
          `stored histograms of ${where} have bucket layouts that do not match the definition`,
          Code.FailedPrecondition,
        );
      }
      return {
        date: d.date,
        label: d.label,
        count: int64Of(d.count, where),
        sum: d.sum,
        histogram: d.histogram.map((n) => int64Of(n, where)),
      };
    }),
  });
}

/** The filters answer: each dimension's values, sorted, empty ones left out. */
export function filtersResponse(r: FilterValues): GetFiltersResponse {
  const sorted = (xs: string[]) => xs.filter((x) => x !== "" && x !== ",").sort();
  return create(GetFiltersResponseSchema, {
    metric: sorted(r.metric),
    application: sorted(r.application),
    architecture: sorted(r.architecture),
    os: sorted(r.os),
    child: sorted(r.child),
  });
}

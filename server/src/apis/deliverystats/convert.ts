import { create } from "@bufbuild/protobuf";
import {
  SeriesSchema,
  SummarySchema,
  type Series,
  type Summary,
} from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import type { SummaryDoc } from "./pipeline.js";
import type { MetricType, SeriesWindow, StatsQuery } from "./request.js";

/**
 * Buckets → series: every bucket from the one holding startDate to the one holding endDate, `null`
 * where empty, then offset/limit (limit 0: no limit). Only the returned slice is built. No point in
 * the window → no series; an offset past the end → no series either.
 */
export function toSeries(
  buckets: readonly { _id: number; mean: number }[],
  q: StatsQuery,
  w: SeriesWindow,
): Series | undefined {
  if (buckets.length === 0) return undefined;
  const intervalMs = q.intervalSeconds * 1000;
  const byStart = new Map(buckets.map((b) => [b._id, b.mean]));
  const end = q.limit > 0 ? Math.min(w.total, q.offset + q.limit) : w.total;
  const values: { timeUnixNano: bigint; value?: number }[] = [];
  for (let i = q.offset; i < end; i++) {
    const t = w.firstMs + i * intervalMs;
    const v = byStart.get(t);
    values.push(
      v === undefined ? { timeUnixNano: BigInt(t) * 1_000_000n } : { timeUnixNano: BigInt(t) * 1_000_000n, value: v },
    );
  }
  if (values.length === 0) return undefined;
  return create(SeriesSchema, {
    columns: ["time", "sum_count"],
    count: BigInt(values.length),
    name: `${q.metric}.ds.1min`,
    tags: { cachegroup: "total" },
    values,
  });
}

/** The summary with the totals: bytes for kbps (kilobytes too, which Traffic Portal reads), transactions otherwise. */
export function toSummary(doc: SummaryDoc | undefined, metric: MetricType): Summary {
  if (!doc) {
    return create(SummarySchema, {});
  }
  const kbps = metric === "kbps";
  const totalKiloBytes = (doc.count * 60 * doc.average) / 8;
  return create(SummarySchema, {
    average: doc.average,
    count: BigInt(doc.count),
    fifthPercentile: doc.p5,
    max: doc.max,
    min: doc.min,
    ninetyEighthPercentile: doc.p98,
    ninetyFifthPercentile: doc.p95,
    // Bytes from kilobytes without binary float noise (27173906250.000004 → 27173906250).
    totalBytes: kbps ? Number((totalKiloBytes * 1000).toPrecision(15)) : undefined,
    totalKiloBytes: kbps ? totalKiloBytes : undefined,
    totalTransactions: kbps ? undefined : doc.count * 60 * doc.average,
  });
}

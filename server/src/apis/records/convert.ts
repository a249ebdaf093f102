import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { RecordSummarySchema, type RecordSummary } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import type { SummaryRow } from "./pipeline.js";
import type { SummaryQuery } from "./request.js";

/**
 * `HH:MM:SS[.ffffff]` from milliseconds: hours may pass 24, up to six fraction digits with trailing
 * zeros trimmed, no fraction when whole (`00:01:16.21875`, `02:01:57`, `27:00:00`).
 */
export function formatDuration(ms: number): string {
  const micros = Math.round(ms * 1000);
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const totalSeconds = Math.floor(abs / 1_000_000);
  const frac = abs % 1_000_000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  const fraction = frac === 0 ? "" : `.${String(frac).padStart(6, "0").replace(/0+$/, "")}`;
  return `${sign}${pad(h)}:${pad(m)}:${pad(s)}${fraction}`;
}

/** One `$group` row → the RecordSummary message with just the requested aggregations. */
export function toSummaryMessage(row: SummaryRow | undefined, q: SummaryQuery): RecordSummary {
  const r: SummaryRow = row ?? {
    _id: null,
    total: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    running: 0,
    others: 0,
    lastRuntime: null,
    durCount: 0,
    durAvg: null,
    durMin: null,
    durMax: null,
    durSum: 0,
  };
  const dur = (v: number | null) => (r.durCount > 0 && v !== null ? formatDuration(v) : undefined);
  const values: Partial<Record<string, unknown>> = {
    total: BigInt(r.total),
    succeeded: BigInt(r.succeeded),
    failed: BigInt(r.failed),
    cancelled: BigInt(r.cancelled),
    running: BigInt(r.running),
    others: BigInt(r.others),
    last_runtime: r.lastRuntime ? BigInt(Math.floor(new Date(r.lastRuntime).getTime() / 1000)) : undefined,
    avg_duration: dur(r.durAvg),
    min_duration: dur(r.durMin),
    max_duration: dur(r.durMax),
    total_duration: dur(r.durSum),
  };
  const msg = create(RecordSummarySchema, { fields: [...q.summary] });
  for (const name of q.summary) {
    const v = values[name];
    // Message fields are the summary names in camelCase (last_runtime → lastRuntime).
    if (v !== undefined)
      (msg as unknown as Record<string, unknown>)[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  if (q.groupBy.kind !== "none") {
    const g = r._id;
    msg.groupValue = create(ValueSchema, {
      kind:
        g === null || g === undefined
          ? { case: "nullValue", value: 0 }
          : g instanceof Date
            ? { case: "numberValue", value: Math.floor(g.getTime() / 1000) }
            : { case: "stringValue", value: String(g) },
    });
    msg.fields.push("group_value");
  }
  return msg;
}

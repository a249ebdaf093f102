import { localToUtc, offsetAt } from "./timezone.js";

/** `$dateTrunc`'s units. */
export type DateUnit = "year" | "quarter" | "month" | "week" | "day" | "hour" | "minute" | "second" | "millisecond";

const dayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const unitMs: Partial<Record<DateUnit, number>> = {
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
  millisecond: 1,
};
/** MongoDB aligns bins with binSize > 1 to 2000-01-01T00:00 in the zone. */
const REF_LOCAL = Date.UTC(2000, 0, 1);

/**
 * `$dateTrunc` as MongoDB computes it: truncation in the given zone's wall clock, bins counted from
 * 2000-01-01 (weeks from the first `startOfWeek` day on or after it), result as a UTC instant.
 */
export function dateTrunc(date: Date, unit: DateUnit, binSize = 1, timezone?: string, startOfWeek = "sunday"): Date {
  const utc = date.getTime();
  const local = utc + offsetAt(timezone, utc);
  const fixed = unitMs[unit];
  if (fixed !== undefined) {
    // Units of a day or less: arithmetic on the local instant, no calendar fields needed.
    const size = fixed * binSize;
    const outLocal = REF_LOCAL + Math.floor((local - REF_LOCAL) / size) * size;
    // Below a day, the bin start keeps the instant's own offset: in the hour a DST change repeats
    // (01:00–02:00 twice when clocks go back), the two hours stay two bins, and every bin start is
    // at or before the instant (so walking bins always advances).
    if (unit !== "day") return new Date(utc - (local - outLocal));
    return new Date(localToUtc(timezone, outLocal));
  }
  const d = new Date(local);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  let outLocal: number;
  switch (unit) {
    case "year":
      outLocal = Date.UTC(2000 + Math.floor((y - 2000) / binSize) * binSize, 0, 1);
      break;
    case "quarter": {
      const q = Math.floor(((y - 2000) * 12 + mo) / 3);
      const months = Math.floor(q / binSize) * binSize * 3;
      outLocal = Date.UTC(2000 + Math.floor(months / 12), ((months % 12) + 12) % 12, 1);
      break;
    }
    case "month": {
      const months = Math.floor(((y - 2000) * 12 + mo) / binSize) * binSize;
      outLocal = Date.UTC(2000 + Math.floor(months / 12), ((months % 12) + 12) % 12, 1);
      break;
    }
    case "week": {
      const sow = Math.max(
        0,
        dayNames.findIndex((n) => n.startsWith(startOfWeek.toLowerCase().slice(0, 3))),
      );
      const refDow = new Date(REF_LOCAL).getUTCDay(); // Saturday
      const ref = REF_LOCAL + ((sow - refDow + 7) % 7) * 86_400_000;
      const days = Math.floor((Math.floor(local / 86_400_000) * 86_400_000 - ref) / 86_400_000);
      outLocal = ref + Math.floor(days / (7 * binSize)) * 7 * binSize * 86_400_000;
      break;
    }
    default:
      throw new Error(`unknown $dateTrunc unit ${unit}`);
  }
  return new Date(localToUtc(timezone, outLocal));
}

/**
 * `$dateTrunc`'s unit and bin size for a fixed interval that divides a day (its bins, counted from
 * 2000-01-01, then coincide with the epoch-aligned ones); undefined for any other interval.
 */
export function dayDividingBins(intervalMs: number): { unit: DateUnit; binSize: number } | undefined {
  if (!(intervalMs > 0) || 86_400_000 % intervalMs !== 0) return undefined;
  for (const unit of ["day", "hour", "minute", "second", "millisecond"] as const) {
    const ms = unitMs[unit]!;
    if (intervalMs % ms === 0) return { unit, binSize: intervalMs / ms };
  }
  return undefined;
}

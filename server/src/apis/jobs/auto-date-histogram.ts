import { dateTrunc } from "../../platform/time/date-trunc.js";
import { offsetAt } from "../../platform/time/timezone.js";
import type { BucketSpec, CalendarUnit } from "./agg-tree.js";
import { esError } from "./es-error.js";

/**
 * `auto_date_histogram`: Elasticsearch's ladder of roundings, each with the multiples it may merge
 * buckets into; the first (from `minimum_interval` up) that covers the data in at most the target
 * number of buckets is used, merged buckets counted from the first bucket's key.
 */
const ladder: readonly { unit: "s" | "m" | "h" | "d" | "M" | "y"; name: string; ms?: number; every: number[] }[] = [
  { unit: "s", name: "second", ms: 1_000, every: [1, 5, 10, 30] },
  { unit: "m", name: "minute", ms: 60_000, every: [1, 5, 10, 30] },
  { unit: "h", name: "hour", ms: 3_600_000, every: [1, 3, 12] },
  { unit: "d", name: "day", ms: 86_400_000, every: [1, 7] },
  { unit: "M", name: "month", every: [1, 3] },
  { unit: "y", name: "year", every: [1, 5, 10, 20, 50, 100] },
];

/** The interval chosen for the data's range: a unit, a multiple, and the first bucket's start (epoch ms). */
export interface AutoInterval {
  readonly unit: "s" | "m" | "h" | "d" | "M" | "y";
  readonly every: number;
  readonly first: number;
  /** As Elasticsearch prints it: `30m`, `7d`, `3M`, `10y`. */
  readonly text: string;
}

/** The ladder step `minimum_interval` names (0 when unset). */
export function minimumRung(text: string, name: string): number {
  if (text === "") return 0;
  const i = ladder.findIndex((r) => r.name === text);
  if (i < 0)
    throw esError(
      `minimum_interval must be one of [second, minute, hour, day, month, year] in [${name}], got [${text.slice(0, 32)}]`,
    );
  return i;
}

/** A month index (`year·12 + month`) or a year of a date, in the zone. */
export function calendarIndex(ms: number, unit: "M" | "y", tz: string | undefined): number {
  const local = new Date(ms + offsetAt(tz, ms));
  return unit === "y" ? local.getUTCFullYear() : local.getUTCFullYear() * 12 + local.getUTCMonth();
}

/** The start (epoch ms) of a month index or year, in the zone. */
export function calendarStart(index: number, unit: "M" | "y", tz: string | undefined): number {
  const probe = unit === "y" ? Date.UTC(index, 6, 1) : Date.UTC(Math.floor(index / 12), index % 12, 15);
  return dateTrunc(new Date(probe), unit === "y" ? "year" : "month", 1, tz).getTime();
}

/** Chooses the interval for data from `lo` to `hi` (epoch ms) and a target bucket count. */
export function chooseInterval(
  lo: number,
  hi: number,
  target: number,
  minimum: number,
  tz: string | undefined,
): AutoInterval {
  let chosen: AutoInterval | undefined;
  for (const rung of ladder.slice(minimum)) {
    let first: number;
    let count: number;
    if (rung.ms !== undefined) {
      const unit = rung.unit === "d" ? "day" : rung.unit === "h" ? "hour" : rung.unit === "m" ? "minute" : "second";
      first = dateTrunc(new Date(lo), unit, 1, tz).getTime();
      const last = dateTrunc(new Date(hi), unit, 1, tz).getTime();
      count = Math.round((last - first) / rung.ms) + 1;
    } else {
      const u = rung.unit as "M" | "y";
      const a = calendarIndex(lo, u, tz);
      first = calendarStart(a, u, tz);
      count = calendarIndex(hi, u, tz) - a + 1;
    }
    for (const every of rung.every) {
      chosen = { unit: rung.unit, every, first, text: `${every}${rung.unit}` };
      if (Math.ceil(count / every) <= target) return chosen;
    }
  }
  // Past a century per bucket: the coarsest there is.
  return chosen!;
}

type DateHistogram = Extract<BucketSpec, { kind: "date_histogram" }>;

/**
 * Turns an auto_date_histogram into the date histogram its choice describes: single units of a day
 * or more are calendar buckets in the zone; fixed multiples are counted from the first bucket (an
 * offset); several months or years are merged from the first one (`calendarStep`).
 */
export function applyAutoInterval(s: DateHistogram, chosen: AutoInterval): void {
  s.auto!.chosen = chosen.text;
  const calendar = { s: "second", m: "minute", h: "hour", d: "day", M: "month", y: "year" } as const;
  if (chosen.every === 1 && (chosen.unit === "d" || chosen.unit === "M" || chosen.unit === "y")) {
    s.interval = { calendar: calendar[chosen.unit] as CalendarUnit };
    return;
  }
  if (chosen.unit === "M" || chosen.unit === "y") {
    s.interval = { calendar: chosen.unit === "M" ? "month" : "year" };
    s.calendarStep = {
      unit: chosen.unit,
      every: chosen.every,
      first: calendarIndex(chosen.first, chosen.unit, s.timeZone),
    };
    return;
  }
  const unitMs = ladder.find((r) => r.unit === chosen.unit)!.ms!;
  const i = unitMs * chosen.every;
  s.interval = { fixedMs: i };
  s.offsetMs = ((chosen.first % i) + i) % i;
  s.displayZone = s.timeZone;
  s.timeZone = undefined;
}

/** The pipeline reading the range an auto_date_histogram's field spans (after the request's `$match`). */
export function rangeStages(s: DateHistogram): Record<string, unknown>[] {
  return [{ $group: { _id: null, lo: { $min: `$${s.field.path}` }, hi: { $max: `$${s.field.path}` } } }];
}

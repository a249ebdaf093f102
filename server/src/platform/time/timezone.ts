import { Temporal } from "temporal-polyfill";

/**
 * Time zone arithmetic for date operators and calendar buckets: fixed offsets (`+01:00`, `-0800`)
 * and IANA names, through the Temporal API (`temporal-polyfill`), so DST gaps and overlaps,
 * 30-minute shifts and odd offsets follow the tz database as maintained.
 */

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/** An interval of instants over which a zone keeps one offset: [start, end). */
interface OffsetSpan {
  readonly start: number;
  readonly end: number;
  readonly offset: number;
}

/** Recently used offset spans per zone: a dashboard's range covers one or two. */
const spans = new Map<string, OffsetSpan[]>();
const SPANS_PER_ZONE = 8;
const MAX_ZONES = 512;

function isUtc(tz: string | undefined): boolean {
  return !tz || tz === "UTC" || tz === "GMT" || tz === "Z";
}

/** Throws for an unknown zone (MongoDB answers 40485 "unrecognized time zone identifier"). */
export function assertTimeZone(tz: string): void {
  if (isUtc(tz) || fixedOffset.test(tz)) return;
  if (tz.length > 64) throw new RangeError("time zone name too long");
  Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(tz);
}

/** Whether `tz` is a zone {@link assertTimeZone} accepts. */
export function isTimeZone(tz: string): boolean {
  try {
    assertTimeZone(tz);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at the instant `utcMs`, in milliseconds (local = utc + offset). */
export function offsetAt(tz: string | undefined, utcMs: number): number {
  if (isUtc(tz)) return 0;
  const m = fixedOffset.exec(tz!);
  if (m) return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  let list = spans.get(tz!);
  if (list) {
    for (const s of list) if (utcMs >= s.start && utcMs < s.end) return s.offset;
  } else {
    if (spans.size >= MAX_ZONES) spans.clear();
    list = [];
    spans.set(tz!, list);
  }
  const span = spanAt(tz!, utcMs);
  list.unshift(span);
  if (list.length > SPANS_PER_ZONE) list.pop();
  return span.offset;
}

function spanAt(tz: string, utcMs: number): OffsetSpan {
  const at = Temporal.Instant.fromEpochMilliseconds(Math.floor(utcMs)).toZonedDateTimeISO(tz);
  const prev = at.getTimeZoneTransition("previous");
  const next = at.getTimeZoneTransition("next");
  // "previous" is strictly earlier: when `utcMs` is itself a transition, the span starts there.
  const atTransition =
    Temporal.Instant.fromEpochMilliseconds(Math.floor(utcMs) - 1).toZonedDateTimeISO(tz).offsetNanoseconds !==
    at.offsetNanoseconds;
  return {
    start: atTransition ? Math.floor(utcMs) : prev ? prev.epochMilliseconds : Number.NEGATIVE_INFINITY,
    end: next ? next.epochMilliseconds : Number.POSITIVE_INFINITY,
    offset: at.offsetNanoseconds / 1e6,
  };
}

/**
 * UTC instant of a local wall-clock time in `tz`: the earlier instant when the wall clock repeats
 * (clocks going back), and the instant after the gap when it is skipped (clocks going forward),
 * Temporal's "compatible" disambiguation, which is also java.time's.
 */
export function localToUtc(tz: string | undefined, localMs: number): number {
  if (isUtc(tz) || fixedOffset.test(tz!)) return localMs - offsetAt(tz, localMs);
  const wall = Temporal.Instant.fromEpochMilliseconds(Math.floor(localMs)).toZonedDateTimeISO("UTC").toPlainDateTime();
  return (
    wall.toZonedDateTime(tz!, { disambiguation: "compatible" }).epochMilliseconds + (localMs - Math.floor(localMs))
  );
}

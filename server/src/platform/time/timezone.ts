/** Time zone arithmetic for date operators: fixed offsets (`+01:00`, `-0800`) and IANA names. */

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws for an unknown zone (MongoDB answers 40485 "unrecognized time zone identifier"). */
export function assertTimeZone(tz: string): void {
  if (tz === "UTC" || tz === "GMT" || tz === "Z" || fixedOffset.test(tz)) return;
  formatter(tz);
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC at the instant `utcMs`, in milliseconds (local = utc + offset). */
export function offsetAt(tz: string | undefined, utcMs: number): number {
  if (!tz || tz === "UTC" || tz === "GMT" || tz === "Z") return 0;
  const m = fixedOffset.exec(tz);
  if (m) return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  const parts = formatter(tz).formatToParts(new Date(Math.floor(utcMs / 1000) * 1000));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** UTC instant of a local wall-clock time in `tz` (the earlier instant when ambiguous). */
export function localToUtc(tz: string | undefined, localMs: number): number {
  let utc = localMs - offsetAt(tz, localMs);
  utc = localMs - offsetAt(tz, utc);
  return utc;
}

import { offsetAt } from "../../platform/time/timezone.js";
import { esError } from "./es-error.js";

/**
 * Elasticsearch's date `format` for `key_as_string`: its named formats, or a pattern of
 * DateTimeFormatter letters (`yyyy MM dd HH mm ss SSS`, `MMM`, `XXX` for the offset) and quoted text.
 * With `a||b`, the first formats. Other letters are refused, not guessed.
 */
const named: Readonly<Record<string, string>> = {
  date: "yyyy-MM-dd",
  strict_date: "yyyy-MM-dd",
  basic_date: "yyyyMMdd",
  year: "yyyy",
  year_month: "yyyy-MM",
  year_month_day: "yyyy-MM-dd",
  hour_minute: "HH:mm",
  date_hour: "yyyy-MM-dd'T'HH",
  date_hour_minute: "yyyy-MM-dd'T'HH:mm",
  date_hour_minute_second: "yyyy-MM-dd'T'HH:mm:ss",
  date_time: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  strict_date_time: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  date_optional_time: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  strict_date_optional_time: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
};
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const token = /'[^']*'|y{1,4}|u{1,4}|M{1,3}|d{1,2}|H{1,2}|m{1,2}|s{1,2}|S{1,3}|X{1,3}|[^A-Za-z']+|[A-Za-z]/g;

function patternOf(format: string): string {
  const first = format.split("||")[0]!.trim();
  return named[first] ?? first;
}

/** Refuses a format it cannot print, with Elasticsearch's message. */
export function checkDateFormat(format: string, name: string): void {
  if (format.length > 128) throw esError(`[format] is too long in [${name}]`);
  const first = format.split("||")[0]!.trim();
  if (first === "epoch_millis" || first === "epoch_second") return;
  for (const t of patternOf(format).match(token) ?? []) {
    if (/^[A-Za-z]$/.test(t) || (/^[A-Za-z]/.test(t) && !/^(y+|u+|M+|d+|H+|m+|s+|S+|X+)$/.test(t)))
      throw esError(`Invalid format: [${format}]: Unknown pattern letter: ${t[0]}`);
  }
}

/** Patterns split into tokens once (a histogram formats every bucket with the same one). */
const tokenized = new Map<string, string[]>();

function tokensOf(format: string): string[] {
  let tokens = tokenized.get(format);
  if (!tokens) {
    if (tokenized.size >= 64) tokenized.clear();
    tokens = patternOf(format).match(token) ?? [];
    tokenized.set(format, tokens);
  }
  return tokens;
}

/**
 * `ms` printed in `format` (default Elasticsearch's `strict_date_optional_time`: ISO 8601 with
 * milliseconds), in the zone (`XXX`: `Z` or `+01:00`).
 */
export function formatDateAs(ms: number, tz: string | undefined, format = "strict_date_optional_time"): string {
  const first = format.split("||")[0]!.trim();
  if (first === "epoch_millis") return String(ms);
  if (first === "epoch_second") return String(Math.floor(ms / 1000));
  const off = offsetAt(tz, ms);
  const d = new Date(ms + off);
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  const offset = () => {
    if (off === 0) return "Z";
    const m = Math.abs(off) / 60_000;
    return `${off < 0 ? "-" : "+"}${pad(Math.floor(m / 60), 2)}:${pad(m % 60, 2)}`;
  };
  return tokensOf(format)
    .map((t) => {
      if (t.startsWith("'")) return t.length === 2 ? "'" : t.slice(1, -1);
      switch (t[0]) {
        case "y":
        case "u":
          return t.length === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), t.length);
        case "M":
          return t.length === 3 ? months[d.getUTCMonth()]! : pad(d.getUTCMonth() + 1, t.length);
        case "d":
          return pad(d.getUTCDate(), t.length);
        case "H":
          return pad(d.getUTCHours(), t.length);
        case "m":
          return pad(d.getUTCMinutes(), t.length);
        case "s":
          return pad(d.getUTCSeconds(), t.length);
        case "S":
          return pad(d.getUTCMilliseconds(), 3).slice(0, t.length);
        case "X":
          return offset();
        default:
          return t;
      }
    })
    .join("");
}

import { Temporal } from "temporal-polyfill";

/** Elasticsearch's date-math units: years, months, weeks, days, hours (`h`/`H`), minutes, seconds. */
type MathUnit = "y" | "M" | "w" | "d" | "h" | "H" | "m" | "s";

const plural: Readonly<Record<MathUnit, "years" | "months" | "weeks" | "days" | "hours" | "minutes" | "seconds">> = {
  y: "years",
  M: "months",
  w: "weeks",
  d: "days",
  h: "hours",
  H: "hours",
  m: "minutes",
  s: "seconds",
};

/** At most this many operations after the anchor (`now-1d+2h/d` has three). */
const MAX_OPS = 16;

/** How to resolve date math: the request's `now`, the rounding direction, and the zone rounding uses. */
export interface DateMathOptions {
  /** Epoch milliseconds of `now` for the whole request. */
  readonly now: number;
  /**
   * Round `/unit` up to the last millisecond of the unit (Elasticsearch does for `gt` and `lte`, and for
   * an inclusive end), else down to its first.
   */
  readonly roundUp: boolean;
  /** Rounding and calendar arithmetic happen in this zone (default UTC). */
  readonly timeZone?: string;
}

/** Whether a string is date math (`now…` or `<date>||…`) rather than a plain date. */
export function isDateMath(text: string): boolean {
  return text.startsWith("now") || text.includes("||");
}

/**
 * Resolves Elasticsearch date math (`now`, `now-2d/d`, `2024-01-01||+1M/M`) to epoch milliseconds:
 * the anchor, then `+n<unit>`, `-n<unit>` and `/<unit>` (round) in order, as calendar arithmetic in
 * the zone. Undefined when the text is not valid date math.
 */
export function resolveDateMath(text: string, opts: DateMathOptions): number | undefined {
  if (text.length > 256) return undefined;
  let anchor: number | undefined;
  let rest: string;
  if (text.startsWith("now")) {
    anchor = opts.now;
    rest = text.slice(3);
  } else {
    const at = text.indexOf("||");
    if (at < 0) return undefined;
    anchor = anchorDate(text.slice(0, at));
    rest = text.slice(at + 2);
  }
  if (anchor === undefined) return undefined;
  let t = Temporal.Instant.fromEpochMilliseconds(anchor).toZonedDateTimeISO(opts.timeZone ?? "UTC");
  const op = /^(?:([+-])(\d{1,9})([yMwdhHms])|\/([yMwdhHms]))/;
  for (let i = 0; rest !== ""; i++) {
    const m = op.exec(rest);
    if (!m || i >= MAX_OPS) return undefined;
    rest = rest.slice(m[0].length);
    if (m[4]) t = round(t, m[4] as MathUnit, opts.roundUp);
    else {
      const amount = Number(m[2]) * (m[1] === "-" ? -1 : 1);
      t = t.add({ [plural[m[3] as MathUnit]]: amount });
    }
  }
  return t.epochMilliseconds;
}

/** An anchor before `||`: an ISO-8601 date (time optional) or epoch milliseconds. */
function anchorDate(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The start of the unit containing `t` (weeks start on Monday), or the last millisecond of it. */
function round(t: Temporal.ZonedDateTime, unit: MathUnit, up: boolean): Temporal.ZonedDateTime {
  let start: Temporal.ZonedDateTime;
  switch (unit) {
    case "y":
      start = t.with({ month: 1, day: 1 }).startOfDay();
      break;
    case "M":
      start = t.with({ day: 1 }).startOfDay();
      break;
    case "w":
      start = t.subtract({ days: t.dayOfWeek - 1 }).startOfDay();
      break;
    case "d":
      start = t.startOfDay();
      break;
    case "h":
    case "H":
      start = t.round({ smallestUnit: "hour", roundingMode: "floor" });
      break;
    case "m":
      start = t.round({ smallestUnit: "minute", roundingMode: "floor" });
      break;
    default:
      start = t.round({ smallestUnit: "second", roundingMode: "floor" });
  }
  return up ? start.add({ [plural[unit]]: 1 }).subtract({ milliseconds: 1 }) : start;
}

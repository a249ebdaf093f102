import { type Doc, type Expr, bsonTypeName, compileExpr } from "../compile-expr.js";
import { locationError } from "../errors.js";
import { dateTrunc, type DateUnit } from "../time/date-trunc.js";
import { assertTimeZone, offsetAt } from "../time/timezone.js";
import type { OperatorCompiler } from "./operator.js";

function opDateTrunc(_op: string, spec: unknown): Expr {
  const s = compileExpr(spec);
  return (d, v) => evalDateTrunc(s(d, v) as Doc);
}

function opDatePart(op: string, spec: unknown): Expr {
  return compileDatePart(op, spec);
}

/** Date part operators (`$year` … `$second`), with MongoDB's optional `{ date, timezone }` form. */
function compileDatePart(op: string, spec: unknown): Expr {
  const form =
    spec !== null &&
    typeof spec === "object" &&
    !Array.isArray(spec) &&
    !(spec instanceof Date) &&
    "date" in (spec as Doc);
  const date = compileExpr(form ? (spec as Doc).date : Array.isArray(spec) ? spec[0] : spec);
  const zone = form && (spec as Doc).timezone !== undefined ? compileExpr((spec as Doc).timezone) : undefined;
  return (d, v) => {
    const x = date(d, v);
    if (x === null || x === undefined) return null;
    if (!(x instanceof Date)) throw locationError(16006, `can't convert from BSON type ${bsonTypeName(x)} to Date`);
    const tz = zone ? zone(d, v) : undefined;
    if (tz === null) return null;
    if (tz !== undefined) {
      try {
        assertTimeZone(String(tz));
      } catch {
        throw locationError(40485, `unrecognized time zone identifier: "${String(tz)}"`);
      }
    }
    const local = new Date(x.getTime() + offsetAt(tz as string | undefined, x.getTime()));
    switch (op) {
      case "$year":
        return local.getUTCFullYear();
      case "$month":
        return local.getUTCMonth() + 1;
      case "$dayOfMonth":
        return local.getUTCDate();
      case "$dayOfWeek":
        return local.getUTCDay() + 1;
      case "$dayOfYear":
        return Math.floor((local.getTime() - Date.UTC(local.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
      case "$hour":
        return local.getUTCHours();
      case "$minute":
        return local.getUTCMinutes();
      default:
        return local.getUTCSeconds();
    }
  };
}

const units: readonly string[] = ["year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond"];

/** `$dateTrunc` on an evaluated spec, with MongoDB's validation and messages. */
export function evalDateTrunc(spec: Doc): Date | null {
  return dateTruncOf(spec.date, spec.unit, spec.binSize, spec.timezone, spec.startOfWeek);
}

/** `$dateTrunc` of its evaluated arguments (missing ones undefined). */
export function dateTruncOf(
  date: unknown,
  unit: unknown,
  binSize: unknown,
  timezone: unknown,
  startOfWeek: unknown,
): Date | null {
  if (date === null || date === undefined || unit === null || unit === undefined) return null;
  if (!(date instanceof Date)) throw notADate();
  const t = truncation(unit, binSize, timezone, startOfWeek);
  return dateTrunc(date, t.unit, t.binSize, t.timezone, t.startOfWeek);
}

/**
 * `$dateTrunc` with constant unit, binSize, timezone and startOfWeek, checked once: a function of
 * the date alone. Undefined when the constants would fail the checks or make every answer null, so
 * the caller keeps {@link dateTruncOf} (and its per-document order of checks).
 */
export function dateTruncer(
  unit: unknown,
  binSize: unknown,
  timezone: unknown,
  startOfWeek: unknown,
): ((date: unknown) => Date | null) | undefined {
  if (unit === null || unit === undefined) return undefined;
  let t: ReturnType<typeof truncation>;
  try {
    t = truncation(unit, binSize, timezone, startOfWeek);
  } catch {
    return undefined;
  }
  return (date) => {
    if (date === null || date === undefined) return null;
    if (!(date instanceof Date)) throw notADate();
    return dateTrunc(date, t.unit, t.binSize, t.timezone, t.startOfWeek);
  };
}

const notADate = () => locationError(5439012, "$dateTrunc requires 'date' to be a date");

/** `$dateTrunc`'s arguments but the date, checked with MongoDB's codes and messages. */
function truncation(unit: unknown, binSize: unknown, timezone: unknown, startOfWeek: unknown) {
  if (!units.includes(unit as DateUnit))
    throw locationError(
      5439014,
      `$dateTrunc parameter 'unit' value cannot be recognized as a time unit: ${String(unit)}`,
    );
  const bins = binSize === undefined ? 1 : Number(binSize);
  if (!Number.isInteger(bins) || bins <= 0)
    throw locationError(5439017, "$dateTrunc requires 'binSize' to be greater than 0");
  const tz = timezone === undefined || timezone === null ? undefined : String(timezone);
  if (tz) {
    try {
      assertTimeZone(tz);
    } catch {
      throw locationError(40485, `unrecognized time zone identifier: "${tz}"`);
    }
  }
  return {
    unit: unit as DateUnit,
    binSize: bins,
    timezone: tz,
    startOfWeek: startOfWeek === undefined ? "sunday" : String(startOfWeek),
  };
}

/** Date expression operators ($dateTrunc and the date parts $year … $second), in a time zone. */
export const dateOperators: Readonly<Record<string, OperatorCompiler>> = {
  $dateTrunc: opDateTrunc,
  $year: opDatePart,
  $month: opDatePart,
  $dayOfMonth: opDatePart,
  $dayOfWeek: opDatePart,
  $dayOfYear: opDatePart,
  $hour: opDatePart,
  $minute: opDatePart,
  $second: opDatePart,
};

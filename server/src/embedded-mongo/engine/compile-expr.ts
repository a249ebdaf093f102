import { dateTrunc, type DateUnit } from "./time/date-trunc.js";
import { assertTimeZone, offsetAt } from "./time/timezone.js";
import { compareValues, isBsonNumber, toNumber, valuesEqual } from "./bson-order.js";
import { locationError } from "./errors.js";
import { valueKey } from "./keys.js";

/** A document as the engine holds it. */
export type Doc = Record<string, unknown>;
/** Aggregation variables in scope (`$$this`, `$let` names). */
export type Vars = Record<string, unknown>;
/** A compiled aggregation expression. */
export type Expr = (doc: Doc, vars: Vars) => unknown;

/** Marks an expression the compiler does not handle; the caller falls back to mingo. */
export class Unsupported extends Error {}

/** `$a.b.c` on a document; arrays on the way yield arrays of the rest of the path (MongoDB semantics). */
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A document's own field: names such as `__proto__`, `constructor` or `toString` are data, never
 * looked up through JavaScript's prototype chain.
 */
export function ownField(doc: Doc, name: string): unknown {
  return hasOwn.call(doc, name) ? doc[name] : undefined;
}

/** The value at a dotted path (MongoDB's semantics: arrays on the way yield arrays). */
export function fieldPath(doc: unknown, parts: readonly string[], from = 0): unknown {
  let cur: unknown = doc;
  for (let i = from; i < parts.length; i++) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      const out: unknown[] = [];
      for (const el of cur) {
        const v = fieldPath(el, parts, i);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    if (typeof cur !== "object" || cur instanceof Date) return undefined;
    cur = ownField(cur as Doc, parts[i]!);
  }
  return cur;
}

/** MongoDB truthiness: false, null, missing and numeric zero are false. */
/** MongoDB's `$type` name of a value as the engine holds it (numbers: int when they fit 32 bits, else double). */
export function bsonTypeName(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? "int" : "double";
    case "bigint":
      return "long";
  }
  if (Array.isArray(v)) return "array";
  if (v instanceof Date) return "date";
  if (v instanceof RegExp) return "regex";
  const bsontype = (v as { _bsontype?: string })._bsontype;
  if (bsontype === "ObjectId") return "objectId";
  if (bsontype === "Long") return "long";
  if (bsontype === "Decimal128") return "decimal";
  if (bsontype === "Int32") return "int";
  if (bsontype === "Double") return "double";
  if (bsontype === "Binary") return "binData";
  if (bsontype === "Timestamp") return "timestamp";
  return bsontype ? bsontype.toLowerCase() : "object";
}

/** MongoDB's truthiness: false, null, missing and zero are false. */
export function truthy(v: unknown): boolean {
  return !(v === false || v === null || v === undefined || v === 0);
}

const isNum = (v: unknown): v is number => typeof v === "number";

/** Compiles an aggregation expression into a closure; throws Unsupported for anything else. */
export function compileExpr(e: unknown): Expr {
  if (typeof e === "string") {
    if (e.startsWith("$$")) {
      const [name, ...rest] = e.slice(2).split(".");
      if (name === "ROOT" || name === "CURRENT") return rest.length ? (d) => fieldPath(d, rest) : (d) => d;
      if (name === "NOW") {
        const now = new Date();
        return () => now;
      }
      if (name === "REMOVE") return () => undefined;
      return (_d, vars) => {
        const value = hasOwn.call(vars, name!) ? vars[name!] : undefined;
        return rest.length ? fieldPath(value, rest) : value;
      };
    }
    if (e.startsWith("$")) {
      const parts = e.slice(1).split(".");
      if (parts.length === 1) {
        const k = parts[0]!;
        return (d) => (hasOwn.call(d, k) ? d[k] : undefined);
      }
      return (d) => fieldPath(d, parts);
    }
    return () => e;
  }
  if (e === null || typeof e !== "object" || e instanceof Date || (e as { _bsontype?: string })._bsontype)
    return () => e;
  if (Array.isArray(e)) {
    const items = e.map(compileExpr);
    return (d, v) => items.map((f) => f(d, v));
  }
  const keys = Object.keys(e);
  if (keys.length === 1 && keys[0]!.startsWith("$")) return compileOperator(keys[0]!, (e as Doc)[keys[0]!]);
  const fields = keys.map((k) => [k, compileExpr((e as Doc)[k])] as const);
  return (d, v) => {
    const out: Doc = {};
    for (const [k, f] of fields) {
      const x = f(d, v);
      if (x !== undefined) out[k] = x;
    }
    return out;
  };
}

function args(spec: unknown, n?: number): Expr[] {
  const list = Array.isArray(spec) ? spec : [spec];
  if (n !== undefined && list.length !== n) throw new Unsupported();
  return list.map(compileExpr);
}

/** Aggregation comparison: total BSON order, where a missing value sorts below null. */
export function cmp(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareValues(a, b);
}

function compileOperator(op: string, spec: unknown): Expr {
  switch (op) {
    case "$literal":
      return () => spec;
    case "$ifNull": {
      const xs = args(spec);
      return (d, v) => {
        for (let i = 0; i < xs.length - 1; i++) {
          const x = xs[i]!(d, v);
          if (x !== null && x !== undefined) return x;
        }
        return xs.at(-1)!(d, v);
      };
    }
    case "$cond": {
      const [c, t, f] = Array.isArray(spec)
        ? args(spec, 3)
        : [compileExpr((spec as Doc).if), compileExpr((spec as Doc).then), compileExpr((spec as Doc).else)];
      return (d, v) => (truthy(c!(d, v)) ? t!(d, v) : f!(d, v));
    }
    case "$eq":
    case "$ne":
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      const [a, b] = args(spec, 2) as [Expr, Expr];
      const test = {
        $eq: (c: number) => c === 0,
        $ne: (c: number) => c !== 0,
        $gt: (c: number) => c > 0,
        $gte: (c: number) => c >= 0,
        $lt: (c: number) => c < 0,
        $lte: (c: number) => c <= 0,
      }[op];
      return (d, v) => test(cmp(a(d, v), b(d, v)));
    }
    case "$and": {
      const xs = args(spec);
      return (d, v) => xs.every((x) => truthy(x(d, v)));
    }
    case "$or": {
      const xs = args(spec);
      return (d, v) => xs.some((x) => truthy(x(d, v)));
    }
    case "$not": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => !truthy(x(d, v));
    }
    case "$in": {
      const [x, arr] = args(spec, 2) as [Expr, Expr];
      return (d, v) => {
        const list = arr(d, v);
        if (!Array.isArray(list)) throw locationError(40081, "$in requires an array as a second argument");
        const needle = x(d, v);
        return list.some((y) => valuesEqual(needle, y));
      };
    }
    case "$add": {
      const xs = args(spec);
      return (d, v) => {
        let sum = 0;
        let date = false;
        for (const f of xs) {
          const x = f(d, v);
          if (x === null || x === undefined) return null;
          if (x instanceof Date) {
            if (date) throw locationError(16612, "only one date allowed in an $add expression");
            date = true;
            sum += x.getTime();
          } else if (isBsonNumber(x)) sum += toNumber(x);
          else throw locationError(16554, "$add only supports numeric or date types");
        }
        return date ? new Date(sum) : sum;
      };
    }
    case "$subtract": {
      const [a, b] = args(spec, 2) as [Expr, Expr];
      return (d, v) => {
        const x = a(d, v);
        const y = b(d, v);
        if (x === null || x === undefined || y === null || y === undefined) return null;
        if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
        if (x instanceof Date && isNum(y)) return new Date(x.getTime() - y);
        if (isNum(x) && isNum(y)) return x - y;
        throw locationError(16556, "cant $subtract these types");
      };
    }
    case "$multiply":
    case "$divide":
    case "$mod": {
      const xs = args(spec);
      if (op !== "$multiply" && xs.length !== 2) throw new Unsupported();
      return (d, v) => {
        const vals = xs.map((f) => f(d, v));
        if (vals.some((x) => x === null || x === undefined)) return null;
        if (!vals.every(isNum)) throw locationError(16555, `${op} only supports numeric types`);
        if (op === "$multiply") return vals.reduce((p, x) => p * x, 1);
        if (vals[1] === 0)
          throw locationError(
            op === "$divide" ? 2 : 16610,
            op === "$divide" ? "can't $divide by zero" : "can't $mod by zero",
          );
        return op === "$divide" ? vals[0]! / vals[1]! : vals[0]! % vals[1]!;
      };
    }
    case "$floor":
    case "$abs": {
      const [x] = args(spec, 1) as [Expr];
      const fn = op === "$floor" ? Math.floor : Math.abs;
      return (d, v) => {
        const n = x(d, v);
        if (n === null || n === undefined) return null;
        if (!isBsonNumber(n)) throw locationError(28765, `${op} only supports numeric types`);
        return fn(toNumber(n));
      };
    }
    case "$toLong": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => {
        const n = x(d, v);
        if (n === null || n === undefined) return null;
        if (n instanceof Date) return n.getTime();
        if (isNum(n)) return Math.trunc(n);
        if (typeof n === "boolean") return n ? 1 : 0;
        if (typeof n === "string" && /^-?\d+$/.test(n)) return Number(n);
        throw locationError(241, `Failed to parse number '${String(n)}' in $convert`);
      };
    }
    case "$dateTrunc": {
      const s = compileExpr(spec);
      return (d, v) => evalDateTrunc(s(d, v) as Doc);
    }
    case "$concat": {
      const xs = args(spec);
      return (d, v) => {
        let out = "";
        for (const f of xs) {
          const x = f(d, v);
          if (x === null || x === undefined) return null;
          if (typeof x !== "string") throw locationError(16702, "$concat only supports strings");
          out += x;
        }
        return out;
      };
    }
    case "$isNumber": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => isBsonNumber(x(d, v));
    }
    case "$type": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => bsonTypeName(x(d, v));
    }
    case "$objectToArray": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => {
        const o = x(d, v);
        if (o === null || o === undefined) return null;
        if (bsonTypeName(o) !== "object") throw locationError(40390, "$objectToArray requires a document input");
        return Object.keys(o as Doc).map((k) => ({ k, v: (o as Doc)[k] }));
      };
    }
    case "$anyElementTrue": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => {
        const a = x(d, v);
        if (!Array.isArray(a)) throw locationError(5159200, "$anyElementTrue's argument must be an array");
        return a.some(truthy);
      };
    }
    case "$regexMatch": {
      const o = spec as Doc;
      if (
        o === null ||
        typeof o !== "object" ||
        typeof o.regex !== "string" ||
        (o.options !== undefined && typeof o.options !== "string")
      )
        throw new Unsupported("$regexMatch form");
      if (/[^imsx]/.test((o.options as string | undefined) ?? ""))
        throw locationError(51108, "invalid flag in regex options");
      const re = new RegExp(o.regex, ((o.options as string | undefined) ?? "").replace("x", ""));
      const input = compileExpr(o.input);
      return (d, v) => {
        const text = input(d, v);
        if (text === null || text === undefined) return false;
        if (typeof text !== "string") throw locationError(51104, "$regexMatch needs 'input' to be of type string");
        return re.test(text);
      };
    }
    case "$isArray": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => Array.isArray(x(d, v));
    }
    case "$size": {
      const [x] = args(spec, 1) as [Expr];
      return (d, v) => {
        const a = x(d, v);
        if (!Array.isArray(a)) throw locationError(17124, "The argument to $size must be an array");
        return a.length;
      };
    }
    case "$arrayElemAt": {
      const [a, i] = args(spec, 2) as [Expr, Expr];
      return (d, v) => {
        const arr = a(d, v);
        const idx = i(d, v);
        if (arr === null || arr === undefined || idx === null || idx === undefined) return null;
        if (!Array.isArray(arr) || !isNum(idx)) throw locationError(28689, "$arrayElemAt needs an array and a number");
        return idx < 0 ? arr[arr.length + idx] : arr[idx];
      };
    }
    case "$concatArrays": {
      const xs = args(spec);
      return (d, v) => {
        const out: unknown[] = [];
        for (const f of xs) {
          const a = f(d, v);
          if (a === null || a === undefined) return null;
          if (!Array.isArray(a)) throw locationError(28664, "$concatArrays only supports arrays");
          out.push(...a);
        }
        return out;
      };
    }
    case "$setDifference": {
      const [a, b] = args(spec, 2) as [Expr, Expr];
      return (d, v) => {
        const x = a(d, v);
        const y = b(d, v);
        if (!Array.isArray(x) || !Array.isArray(y)) return null;
        const drop = new Set(y.map(valueKey));
        const seen = new Set<string>();
        return x.filter((el) => {
          const k = valueKey(el);
          if (drop.has(k) || seen.has(k)) return false;
          seen.add(k);
          return true;
        });
      };
    }
    case "$range": {
      const [s, e2, st] = args(spec) as [Expr, Expr, Expr | undefined];
      return (d, v) => {
        const from = s(d, v);
        const to = e2(d, v);
        const step = st ? st(d, v) : 1;
        if (!Number.isInteger(from) || !Number.isInteger(to))
          throw locationError(
            34443,
            "$range requires a starting value and an ending value that can be represented as a 32-bit integer",
          );
        if (!Number.isInteger(step) || step === 0)
          throw locationError(
            34449,
            step === 0
              ? "$range requires a non-zero step value"
              : "$range requires a step value that can be represented as a 32-bit integer",
          );
        const n = Math.max(0, Math.ceil(((to as number) - (from as number)) / (step as number)));
        return Array.from({ length: n }, (_, i) => (from as number) + i * (step as number));
      };
    }
    case "$switch":
      return compileSwitch(spec as Doc);
    case "$slice": {
      const xs = args(spec);
      if (xs.length !== 2 && xs.length !== 3)
        throw locationError(28667, "Expression $slice takes at least 2 arguments, and at most 3");
      return (d, v) => {
        const arr = xs[0]!(d, v);
        const a = xs[1]!(d, v);
        const b = xs[2]?.(d, v);
        if (
          arr === null ||
          arr === undefined ||
          a === null ||
          a === undefined ||
          (xs.length === 3 && (b === null || b === undefined))
        )
          return null;
        if (!Array.isArray(arr)) throw locationError(28724, "First argument to $slice must be an array");
        if (!isNum(a) || !Number.isInteger(a))
          throw locationError(28725, "Second argument to $slice must be a numeric value");
        if (xs.length === 2) return a >= 0 ? arr.slice(0, a) : arr.slice(Math.max(0, arr.length + a));
        if (!isNum(b) || !Number.isInteger(b) || b <= 0)
          throw locationError(28729, "Third argument to $slice must be positive");
        const start = a >= 0 ? Math.min(a, arr.length) : Math.max(0, arr.length + a);
        return arr.slice(start, start + b);
      };
    }
    case "$sortArray":
      return compileSortArray(spec as Doc);
    case "$year":
    case "$month":
    case "$dayOfMonth":
    case "$dayOfWeek":
    case "$dayOfYear":
    case "$hour":
    case "$minute":
    case "$second":
      return compileDatePart(op, spec);
    case "$let":
    case "$map":
    case "$filter":
    case "$reduce":
      return compileScoped(op, spec as Doc);
    default:
      throw new Unsupported(op);
  }
}

/** `$switch`: the first branch whose `case` is true, else `default` (error 40066 when none applies). */
function compileSwitch(spec: Doc): Expr {
  if (!Array.isArray(spec.branches)) throw locationError(40061, "$switch requires at least one branch");
  const branches = (spec.branches as Doc[]).map((b) => [compileExpr(b.case), compileExpr(b.then)] as const);
  const dflt = spec.default === undefined ? undefined : compileExpr(spec.default);
  return (d, v) => {
    for (const [c, t] of branches) if (truthy(c(d, v))) return t(d, v);
    if (!dflt)
      throw locationError(
        40066,
        "$switch could not find a matching branch for an input, and no default was specified.",
      );
    return dflt(d, v);
  };
}

/** `$sortArray`: by whole values (`sortBy: 1 | -1`) or by fields (`sortBy: { a: 1, b: -1 }`). */
function compileSortArray(spec: Doc): Expr {
  if (spec === null || typeof spec !== "object" || !("input" in spec) || !("sortBy" in spec))
    throw locationError(2942500, "$sortArray requires both 'input' and 'sortBy'");
  const input = compileExpr(spec.input);
  const by = spec.sortBy;
  const keys: [string[] | undefined, number][] =
    by === 1 || by === -1
      ? [[undefined, by]]
      : Object.entries(by as Doc).map(([k, d]) => [k.split("."), d === -1 ? -1 : 1]);
  return (d, v) => {
    const arr = input(d, v);
    if (arr === null || arr === undefined) return null;
    if (!Array.isArray(arr)) throw locationError(2942504, "$sortArray requires an array as input");
    return arr.slice().sort((a, b) => {
      for (const [path, dir] of keys) {
        const c = cmp(path ? fieldPath(a, path) : a, path ? fieldPath(b, path) : b);
        if (c !== 0) return c * dir;
      }
      return 0;
    });
  };
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

function compileScoped(op: string, spec: Doc): Expr {
  if (op === "$let") {
    const vars = Object.entries(spec.vars as Doc).map(([k, x]) => [k, compileExpr(x)] as const);
    const body = compileExpr(spec.in);
    return (d, v) => {
      const scope = { ...v };
      for (const [k, f] of vars) scope[k] = f(d, v);
      return body(d, scope);
    };
  }
  const input = compileExpr(spec.input);
  if (op === "$reduce") {
    const init = compileExpr(spec.initialValue);
    const body = compileExpr(spec.in);
    return (d, v) => {
      const arr = input(d, v);
      if (arr === null || arr === undefined) return null;
      let acc = init(d, v);
      // One scope per evaluation, updated per element (a fresh object per element dominated the cost).
      const scope: Vars = { ...v, value: acc, this: undefined };
      for (const el of arr as unknown[]) {
        scope.value = acc;
        scope.this = el;
        acc = body(d, scope);
      }
      return acc;
    };
  }
  const as = typeof spec.as === "string" ? spec.as : "this";
  const body = compileExpr(op === "$map" ? spec.in : spec.cond);
  return (d, v) => {
    const arr = input(d, v);
    if (arr === null || arr === undefined) return null;
    if (!Array.isArray(arr)) throw locationError(op === "$map" ? 16883 : 28651, `input to ${op} must be an array`);
    const scope: Vars = { ...v };
    const at = (el: unknown) => {
      scope[as] = el;
      return body(d, scope);
    };
    return op === "$map" ? arr.map(at) : arr.filter((el) => truthy(at(el)));
  };
}

const units = ["year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond"];

/** `$dateTrunc` on an evaluated spec, with MongoDB's validation and messages. */
export function evalDateTrunc(spec: Doc): Date | null {
  const date = spec.date;
  if (date === null || date === undefined || spec.unit === null || spec.unit === undefined) return null;
  if (!(date instanceof Date)) throw locationError(5439012, "$dateTrunc requires 'date' to be a date");
  const unit = spec.unit as DateUnit;
  if (!units.includes(unit))
    throw locationError(
      5439014,
      `$dateTrunc parameter 'unit' value cannot be recognized as a time unit: ${String(unit)}`,
    );
  const binSize = spec.binSize === undefined ? 1 : Number(spec.binSize);
  if (!Number.isInteger(binSize) || binSize <= 0)
    throw locationError(5439017, "$dateTrunc requires 'binSize' to be greater than 0");
  const tz = spec.timezone === undefined || spec.timezone === null ? undefined : String(spec.timezone);
  if (tz) {
    try {
      assertTimeZone(tz);
    } catch {
      throw locationError(40485, `unrecognized time zone identifier: "${tz}"`);
    }
  }
  return dateTrunc(date, unit, binSize, tz, spec.startOfWeek === undefined ? "sunday" : String(spec.startOfWeek));
}

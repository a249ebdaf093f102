import {
  bsonTypeName,
  cmp,
  compileExpr,
  isConstant,
  fieldPath,
  setOwnField,
  truthy,
  type Doc,
} from "../compile-expr.js";
import { isBsonNumber } from "../bson-order.js";
import { add2, addend, binaryOperators, subtract } from "../expr/arithmetic.js";
import { elementAt, inList, sizeOf } from "../expr/array.js";
import { dateTruncOf, dateTruncer } from "../expr/date.js";
import { concatPart } from "../expr/string.js";
import { toLong } from "../expr/type.js";
import { NotGenerated, type SourceBuilder } from "./builder.js";

/**
 * Where a generated expression reads fields from. `doc` names the document variable (undefined when a
 * fused `$project` left no document); `locals` maps a top-level field computed earlier in the same
 * loop to the variable holding it. Fields neither local nor readable from `doc` are missing.
 */
export interface Scope {
  readonly doc: string | undefined;
  readonly locals: ReadonlyMap<string, string>;
}

/** The plain scope: fields are read from the document `d`. */
export const DOC_SCOPE: Scope = { doc: "d", locals: new Map() };

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Operators whose arguments are all evaluated first, in order: the generated code calls the same
 * function the closure compiler uses, so both agree by construction. `arity` is the argument count
 * generated inline; other counts go to the closure compiler (which may refuse them).
 */
const strict: Readonly<Record<string, { readonly fn: (...xs: never[]) => unknown; readonly arity: number }>> = {
  $subtract: { fn: subtract, arity: 2 },
  $multiply: { fn: binaryOperators.$multiply, arity: 2 },
  $divide: { fn: binaryOperators.$divide, arity: 2 },
  $mod: { fn: binaryOperators.$mod, arity: 2 },
  $isNumber: { fn: isBsonNumber, arity: 1 },
  $toLong: { fn: toLong, arity: 1 },
  $type: { fn: bsonTypeName, arity: 1 },
  $isArray: { fn: Array.isArray, arity: 1 },
  $size: { fn: sizeOf, arity: 1 },
  $arrayElemAt: { fn: elementAt, arity: 2 },
};

/** Comparison operators: the total BSON order of `cmp`, tested against zero. */
const comparisons: Readonly<Record<string, string>> = {
  $eq: "=== 0",
  $ne: "!== 0",
  $gt: "> 0",
  $gte: ">= 0",
  $lt: "< 0",
  $lte: "<= 0",
};

const dateTruncKeys = new Set(["date", "unit", "binSize", "timezone", "startOfWeek"]);

/**
 * JavaScript source for an aggregation expression, with the same result as `compileExpr` (which
 * stays the one reference: anything generated here calls its helpers, and any construct not written
 * out here is compiled by it and called from the generated code). Throws NotGenerated when such a
 * construct would need the document and the scope has fused it away.
 */
export function exprSource(e: unknown, b: SourceBuilder, scope: Scope): string {
  if (typeof e === "string" && e.startsWith("$")) return pathSource(e, b, scope);
  if (e === undefined) return "undefined";
  if (e === null || typeof e !== "object" || e instanceof Date || (e as { _bsontype?: string })._bsontype)
    return b.value(e);
  if (Array.isArray(e)) {
    if (e.every(isConstant)) return b.value(Object.freeze(e.slice()));
    return `[${e.map((x) => exprSource(x, b, scope)).join(", ")}]`;
  }
  const keys = Object.keys(e);
  if (keys.length === 1 && keys[0]!.startsWith("$")) return operatorSource(keys[0]!, (e as Doc)[keys[0]!], e, b, scope);
  if (keys.some((k) => k.startsWith("$"))) return fallback(e, b, scope);
  // An object expression: its fields in order, missing values left out (as compileExpr does).
  const o = b.temp();
  const parts = keys.map((k) => {
    const t = b.temp();
    return `(${t} = ${exprSource((e as Doc)[k], b, scope)}) !== undefined && ${b.helper(setOwnField)}(${o}, ${b.value(k)}, ${t})`;
  });
  return `(${o} = {}, ${[...parts, o].join(", ")})`;
}

/** Source for one operator's arguments (`arg` generates a sub-expression); undefined for a form not written out. */
type Generator = (spec: unknown, arg: (x: unknown) => string, b: SourceBuilder) => string | undefined;

/** `$and`/`$or` of a list: each operand's truthiness joined by `join`, `empty` for none. */
function junction(join: string, empty: string): Generator {
  return (spec, arg, b) =>
    Array.isArray(spec)
      ? spec.length
        ? `(${spec.map((x) => `${b.helper(truthy)}(${arg(x)})`).join(join)})`
        : empty
      : undefined;
}

const pair = (spec: unknown): unknown[] | undefined => (Array.isArray(spec) && spec.length === 2 ? spec : undefined);

/**
 * The operators written out as source, by name. Lazy ones ($and, $or, $cond, $ifNull, $add, $concat)
 * evaluate their arguments only as far as the closure compiler does; the rest call its functions.
 */
const generators: Readonly<Record<string, Generator>> = {
  $literal: (spec, _arg, b) => b.value(spec),
  $and: junction(" && ", "true"),
  $or: junction(" || ", "false"),
  $not: (spec, arg, b) => {
    const list = Array.isArray(spec) ? spec : [spec];
    return list.length === 1 ? `!${b.helper(truthy)}(${arg(list[0])})` : undefined;
  },
  $cond: (spec, arg, b) => {
    const c = Array.isArray(spec) ? spec : condObject(spec);
    return c?.length === 3 ? `(${b.helper(truthy)}(${arg(c[0])}) ? ${arg(c[1])} : ${arg(c[2])})` : undefined;
  },
  $ifNull: (spec, arg, b) => {
    if (!Array.isArray(spec) || spec.length < 2) return undefined;
    let out = arg(spec.at(-1));
    for (let i = spec.length - 2; i >= 0; i--) {
      const t = b.temp();
      out = `((${t} = ${arg(spec[i])}) !== null && ${t} !== undefined ? ${t} : ${out})`;
    }
    return out;
  },
  // $in evaluates (and checks) its array before the value; a constant list of strings (states,
  // reasons) holds a string exactly when its set has it.
  $in: (spec, arg, b) => {
    const p = pair(spec);
    if (!p) return undefined;
    const list = p[1];
    if (!Array.isArray(list) || !list.length || !list.every((x) => typeof x === "string" && !x.startsWith("$")))
      return `${b.helper(inList)}(${arg(p[1])}, ${arg(p[0])})`;
    const t = b.temp();
    const frozen = b.value(Object.freeze(list.slice()));
    return `(typeof (${t} = ${arg(p[0])}) === "string" ? ${b.value(new Set(list))}.has(${t}) : ${b.helper(inList)}(${frozen}, ${t}))`;
  },
  // $add and $concat stop at the first null operand, before the next is evaluated.
  $add: (spec, arg, b) => {
    const p = pair(spec);
    if (!p) return undefined;
    const t = b.temp();
    return `((${t} = ${arg(p[0])}) == null ? null : (${b.helper(addend)}(${t}), ${b.helper(add2)}(${t}, ${arg(p[1])})))`;
  },
  $concat: (spec, arg, b) => {
    if (!Array.isArray(spec)) return undefined;
    const ts = spec.map(() => b.temp());
    let out = ts.length ? ts.join(" + ") : '""';
    for (let i = spec.length - 1; i >= 0; i--)
      out = `((${ts[i]} = ${arg(spec[i])}) == null ? null : (${ts[i]} = ${b.helper(concatPart)}(${ts[i]}), ${out}))`;
    return out;
  },
  $dateTrunc: (spec, arg, b) => {
    if (!isDateTruncSpec(spec)) return undefined;
    const o = spec as Doc;
    // Constant unit, size and zone (the usual bucket key): checked once, a function of the date.
    const constant = ["unit", "binSize", "timezone", "startOfWeek"].every((k) => !(k in o) || isConstant(o[k]));
    const truncer = constant ? dateTruncer(o.unit, o.binSize, o.timezone, o.startOfWeek) : undefined;
    if (truncer) return `${b.value(truncer)}(${"date" in o ? arg(o.date) : "undefined"})`;
    const parts = ["date", "unit", "binSize", "timezone", "startOfWeek"].map((k) => (k in o ? arg(o[k]) : "undefined"));
    return `${b.helper(dateTruncOf)}(${parts.join(", ")})`;
  },
};

function operatorSource(op: string, spec: unknown, whole: unknown, b: SourceBuilder, scope: Scope): string {
  const arg = (x: unknown) => exprSource(x, b, scope);
  const generated = Object.hasOwn(generators, op) ? generators[op]!(spec, arg, b) : undefined;
  if (generated !== undefined) return generated;
  const p = pair(spec);
  if (Object.hasOwn(comparisons, op) && p) return `(${b.helper(cmp)}(${arg(p[0])}, ${arg(p[1])}) ${comparisons[op]})`;
  const s = Object.hasOwn(strict, op) ? strict[op] : undefined;
  const list = Array.isArray(spec) ? spec : [spec];
  if (s && s.arity === list.length && (Array.isArray(spec) || s.arity === 1))
    return `${b.helper(s.fn)}(${list.map(arg).join(", ")})`;
  return fallback(whole, b, scope);
}

function condObject(spec: unknown): unknown[] | undefined {
  if (spec === null || typeof spec !== "object") return undefined;
  const o = spec as Doc;
  return [o.if, o.then, o.else];
}

function isDateTruncSpec(spec: unknown): boolean {
  return (
    spec !== null &&
    typeof spec === "object" &&
    !Array.isArray(spec) &&
    !(spec instanceof Date) &&
    Object.keys(spec).every((k) => dateTruncKeys.has(k))
  );
}

/** A construct not written out here: its closure from `compileExpr`, called on the document. */
function fallback(e: unknown, b: SourceBuilder, scope: Scope): string {
  if (!scope.doc || scope.locals.size) throw new NotGenerated();
  return `${b.value(compileExpr(e))}(${scope.doc}, v)`;
}

/** `$a.b.c`, `$$ROOT…`, `$$NOW`, `$$REMOVE` or a variable. */
function pathSource(e: string, b: SourceBuilder, scope: Scope): string {
  if (e.startsWith("$$")) {
    const [name, ...rest] = e.slice(2).split(".");
    if (name === "ROOT" || name === "CURRENT") {
      if (!scope.doc || scope.locals.size) throw new NotGenerated();
      return subPath(scope.doc, rest, b);
    }
    if (name === "REMOVE") return "undefined";
    return fallback(e, b, scope);
  }
  const [first, ...rest] = e.slice(1).split(".") as [string, ...string[]];
  const local = scope.locals.get(first);
  if (local) return subPath(local, rest, b);
  if (!scope.doc) return "undefined";
  return subPath(topField(scope.doc, first, b), rest, b);
}

/**
 * A top-level field of a document (a plain object). A name the object prototype does not have is
 * read directly (missing is undefined either way); `constructor`, `__proto__` and the like only as
 * own properties.
 */
function topField(doc: string, name: string, b: SourceBuilder): string {
  const k = b.value(name);
  if (!(name in Object.prototype)) return `${doc}[${k}]`;
  return `(${b.helper(hasOwn)}.call(${doc}, ${k}) ? ${doc}[${k}] : undefined)`;
}

/** The rest of a path below a value (MongoDB's semantics: arrays on the way yield arrays). */
function subPath(base: string, rest: readonly string[], b: SourceBuilder): string {
  if (rest.length === 0) return base;
  if (rest.length === 1) {
    // A subdocument's field (`$values.run_time`): an own property; arrays on the way take the general walk.
    const t = b.temp();
    const k = b.value(rest[0]);
    return `((${t} = ${base}) === null || typeof ${t} !== "object" || ${t} instanceof Date ? undefined : Array.isArray(${t}) ? ${b.helper(fieldPath)}(${t}, ${b.value(Object.freeze(rest.slice()))}) : ${b.helper(hasOwn)}.call(${t}, ${k}) ? ${t}[${k}] : undefined)`;
  }
  return `${b.helper(fieldPath)}(${base}, ${b.value(Object.freeze(rest.slice()))})`;
}

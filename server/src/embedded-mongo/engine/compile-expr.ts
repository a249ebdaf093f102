import { compareValues } from "./bson-order.js";
import { arithmeticOperators } from "./expr/arithmetic.js";
import { arrayOperators } from "./expr/array.js";
import { booleanOperators } from "./expr/boolean.js";
import { comparisonOperators } from "./expr/comparison.js";
import { conditionalOperators } from "./expr/conditional.js";
import { dateOperators } from "./expr/date.js";
import type { OperatorCompiler } from "./expr/operator.js";
import { setOperators } from "./expr/set.js";
import { stringOperators } from "./expr/string.js";
import { typeOperators } from "./expr/type.js";
import { variableOperators } from "./expr/variable.js";

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

/**
 * Sets a document's own field. `__proto__` is a field name like any other in BSON; assigned plainly,
 * JavaScript would take it as the object's prototype and drop the value.
 */
export function setOwnField(doc: Doc, name: string, value: unknown): void {
  if (name === "__proto__")
    Object.defineProperty(doc, name, { value, writable: true, enumerable: true, configurable: true });
  else doc[name] = value;
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

/** A plain JavaScript number (the engine's int and double). */
export const isNum = (v: unknown): v is number => typeof v === "number";

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
      if (parts.length === 2) {
        // The common `$job.state`: a subdocument's field without the general walk (arrays take it).
        const [a, b] = parts as [string, string];
        return (d) => {
          const x = hasOwn.call(d, a) ? d[a] : undefined;
          if (x === null || typeof x !== "object" || x instanceof Date) return undefined;
          if (Array.isArray(x)) return fieldPath(d, parts);
          return hasOwn.call(x, b) ? (x as Doc)[b] : undefined;
        };
      }
      return (d) => fieldPath(d, parts);
    }
    return () => e;
  }
  if (e === null || typeof e !== "object" || e instanceof Date || (e as { _bsontype?: string })._bsontype)
    return () => e;
  if (Array.isArray(e)) {
    // An array of constants (the list of an `$in`, say) is one value, not a new array per evaluation;
    // frozen, so that a stage mutating it would fail loudly rather than change every document's copy.
    if (e.every(isConstant)) {
      const value = Object.freeze(e.slice());
      return () => value;
    }
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
      if (x !== undefined) setOwnField(out, k, x);
    }
    return out;
  };
}

/** A literal that evaluates to itself: numbers, booleans, null, dates, text not naming a field, and arrays of those. */
export function isConstant(x: unknown): boolean {
  if (x === null || typeof x === "number" || typeof x === "boolean" || x instanceof Date) return true;
  if (typeof x === "string") return !x.startsWith("$");
  return Array.isArray(x) && x.every(isConstant);
}

/** An operator's arguments (one, or an array), compiled; `n`: exactly that many or Unsupported. */
export function args(spec: unknown, n?: number): Expr[] {
  const list = Array.isArray(spec) ? spec : [spec];
  if (n !== undefined && list.length !== n) throw new Unsupported();
  return list.map(compileExpr);
}

/** Aggregation comparison: total BSON order, where a missing value sorts below null. */
export function cmp(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareValues(a, b);
}

/** Every expression operator the engine compiles, grouped by family as the MongoDB manual groups them. */
const operators: Readonly<Record<string, OperatorCompiler>> = {
  ...arithmeticOperators,
  ...arrayOperators,
  ...booleanOperators,
  ...comparisonOperators,
  ...conditionalOperators,
  ...dateOperators,
  ...setOperators,
  ...stringOperators,
  ...typeOperators,
  ...variableOperators,
};

function compileOperator(op: string, spec: unknown): Expr {
  const compile = Object.hasOwn(operators, op) ? operators[op] : undefined;
  if (!compile) throw new Unsupported(op);
  return compile(op, spec);
}

export { evalDateTrunc } from "./expr/date.js";

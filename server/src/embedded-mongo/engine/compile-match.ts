import { compareValues, sameTypeBracket, valuesEqual } from "./bson-order.js";
import { Unsupported, bsonTypeName, compileExpr, ownField, truthy, type Doc } from "./compile-expr.js";
import { badValue } from "./errors.js";
import { NO_VARS } from "./stages/stage.js";

/** A compiled query filter. */
export type Predicate = (doc: Doc) => boolean;

/**
 * The values a query path can match on: at arrays, both the array itself and its elements (so
 * `{tags: "x"}` matches `tags: ["x", "y"]`), as MongoDB's query language does.
 */
function candidates(doc: unknown, parts: readonly string[], i = 0, out: unknown[] = []): unknown[] {
  if (i === parts.length) {
    out.push(doc);
    if (Array.isArray(doc)) for (const el of doc) out.push(el);
    return out;
  }
  if (doc === null || doc === undefined || typeof doc !== "object" || doc instanceof Date) {
    out.push(undefined);
    return out;
  }
  if (Array.isArray(doc)) {
    if (/^\d+$/.test(parts[i]!)) return candidates(doc[Number(parts[i])], parts, i + 1, out);
    for (const el of doc) if (el !== null && typeof el === "object") candidates(el, parts, i, out);
    if (doc.length === 0) out.push(undefined);
    return out;
  }
  return candidates(ownField(doc as Doc, parts[i]!), parts, i + 1, out);
}

/**
 * Calls `test` on each candidate value; without arrays on the path (the common case) that is just the
 * value itself, with no allocation.
 */
function anyCandidate(doc: unknown, parts: readonly string[], test: (v: unknown) => boolean): boolean {
  let cur: unknown = doc;
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || cur === undefined) return test(undefined);
    if (Array.isArray(cur)) return candidates(cur, parts, i).some(test);
    if (typeof cur !== "object" || cur instanceof Date) return test(undefined);
    cur = ownField(cur as Doc, parts[i]!);
  }
  if (Array.isArray(cur)) return test(cur) || cur.some(test);
  return test(cur);
}

const isOperatorObject = (v: unknown): v is Doc =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  !(v instanceof Date) &&
  (v as { _bsontype?: string })._bsontype === undefined &&
  Object.keys(v).length > 0 &&
  Object.keys(v).every((k) => k.startsWith("$"));

/** Query equality: null matches missing too. */
function eqMatch(c: unknown, v: unknown): boolean {
  if (v === null) return c === null || c === undefined;
  return valuesEqual(c, v);
}

/** A pattern as the driver sends it: a string (with `$options`), a RegExp or a BSON regular expression. */
function toRegExp(pattern: unknown, options: unknown): RegExp {
  if (pattern instanceof RegExp) return options === undefined ? pattern : new RegExp(pattern.source, String(options));
  const bson = pattern as { _bsontype?: string; pattern?: string; options?: string } | null;
  if (bson?._bsontype === "BSONRegExp")
    return new RegExp(bson.pattern!, (options as string | undefined) ?? bson.options?.replace(/[^imsu]/g, ""));
  if (typeof pattern !== "string") throw badValue("$regex has to be a string");
  const flags = typeof options === "string" ? options.replace(/[^imsu]/g, "") : "";
  return new RegExp(pattern, flags);
}

/** `$regex`: strings (or array elements) the pattern matches. */
function regexTest(parts: string[], re: RegExp): Predicate {
  return (d) => anyCandidate(d, parts, (c) => typeof c === "string" && re.test(c));
}

const typeAliases: Readonly<Record<number, string>> = {
  1: "double",
  2: "string",
  3: "object",
  4: "array",
  7: "objectId",
  8: "bool",
  9: "date",
  10: "null",
  16: "int",
  18: "long",
  19: "decimal",
};

/** `$type` by alias or number; "number" is any numeric type. */
function typeTest(parts: string[], spec: unknown): Predicate {
  const wanted = (Array.isArray(spec) ? spec : [spec]).map((t) => (typeof t === "number" ? typeAliases[t] : t));
  if (wanted.some((t) => typeof t !== "string")) throw new Unsupported("$type");
  const is = (c: unknown) => {
    const name = bsonTypeName(c);
    return wanted.some(
      (t) =>
        t === name ||
        (t === "number" && (name === "int" || name === "double" || name === "long" || name === "decimal")),
    );
  };
  // An array field matches "array" itself, and otherwise by its elements (anyCandidate).
  return (d) => anyCandidate(d, parts, is);
}

// Over 60 lines on purpose: one case per query operator, as the MongoDB manual lists them, so the
// set of operators the compiled engine covers reads in one place.
function compileCondition(parts: string[], cond: unknown): Predicate {
  if (!isOperatorObject(cond)) {
    if (cond instanceof RegExp || (cond as { _bsontype?: string } | null)?._bsontype === "BSONRegExp")
      return regexTest(parts, toRegExp(cond, undefined));
    return (d) => anyCandidate(d, parts, (c) => eqMatch(c, cond));
  }
  const tests: Predicate[] = [];
  for (const [op, v] of Object.entries(cond)) {
    switch (op) {
      case "$regex":
        tests.push(regexTest(parts, toRegExp(v, cond.$options)));
        break;
      case "$options":
        if (!("$regex" in cond)) throw badValue("$options needs a $regex");
        break;
      case "$not": {
        const inner =
          v instanceof RegExp || (v as { _bsontype?: string } | null)?._bsontype === "BSONRegExp"
            ? regexTest(parts, toRegExp(v, undefined))
            : isOperatorObject(v)
              ? compileCondition(parts, v)
              : undefined;
        if (!inner) throw badValue("$not needs a regex or a document");
        tests.push((d) => !inner(d));
        break;
      }
      case "$type":
        tests.push(typeTest(parts, v));
        break;
      case "$eq":
        tests.push((d) => anyCandidate(d, parts, (c) => eqMatch(c, v)));
        break;
      case "$ne":
        tests.push((d) => !anyCandidate(d, parts, (c) => eqMatch(c, v)));
        break;
      case "$in":
      case "$nin": {
        if (!Array.isArray(v) || v.some((x) => x instanceof RegExp)) throw new Unsupported(op);
        // Primitive lists (the usual case) are checked through a Set.
        const prim = v.every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean");
        const set = new Set<unknown>(v);
        const hit: Predicate = prim
          ? (d) => anyCandidate(d, parts, (c) => set.has(c))
          : (d) => anyCandidate(d, parts, (c) => v.some((x) => eqMatch(c, x)));
        tests.push(op === "$in" ? hit : (d) => !hit(d));
        break;
      }
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte": {
        const ok = {
          $gt: (n: number) => n > 0,
          $gte: (n: number) => n >= 0,
          $lt: (n: number) => n < 0,
          $lte: (n: number) => n <= 0,
        }[op];
        tests.push((d) =>
          anyCandidate(d, parts, (c) => c !== undefined && sameTypeBracket(c, v) && ok(compareValues(c, v))),
        );
        break;
      }
      case "$exists":
        tests.push(
          v
            ? (d) => anyCandidate(d, parts, (c) => c !== undefined)
            : (d) => !anyCandidate(d, parts, (c) => c !== undefined),
        );
        break;
      default:
        throw new Unsupported(op);
    }
  }
  return tests.length === 1 ? tests[0]! : (d) => tests.every((t) => t(d));
}

/** Compiles a query filter into a predicate; throws Unsupported for operators it does not cover. */
export function compileMatch(filter: Doc): Predicate {
  const tests: Predicate[] = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" || k === "$or" || k === "$nor") {
      if (!Array.isArray(v) || v.length === 0) throw new Unsupported(k);
      const subs = v.map((x) => compileMatch(x as Doc));
      tests.push(
        k === "$and"
          ? (d) => subs.every((s) => s(d))
          : k === "$or"
            ? (d) => subs.some((s) => s(d))
            : (d) => !subs.some((s) => s(d)),
      );
    } else if (k === "$expr") {
      const e = compileExpr(v);
      tests.push((d) => truthy(e(d, NO_VARS)));
    } else if (k.startsWith("$")) {
      throw new Unsupported(k);
    } else {
      tests.push(compileCondition(k.split("."), v));
    }
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (d) => tests.every((t) => t(d));
}

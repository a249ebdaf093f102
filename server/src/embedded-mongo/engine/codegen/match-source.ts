import { compileMatch, type Predicate } from "../compile-match.js";
import { truthy, type Doc } from "../compile-expr.js";
import { NO_VARS } from "../stages/stage.js";
import { MAX_SOURCE_CHARS, SourceBuilder, instantiate } from "./builder.js";
import { DOC_SCOPE, exprSource } from "./expr-source.js";

/**
 * JavaScript source for a query filter on the document `d`, with the same answer as `compileMatch`
 * (the reference: every condition keeps its compiled predicate, and the generated code calls it for
 * any value it does not test inline). Inline are the tests Tally's scopes and filters are made of, on
 * a top-level field holding a plain value: equality and `$ne` with a string, number, boolean or null,
 * `$in` of such values, ranges against a date or a number, and `$expr`.
 */
export function matchSource(filter: Doc, b: SourceBuilder): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v) && v.length > 0 && v.every(isPlainObject))
      parts.push(`(${v.map((x) => matchSource(x as Doc, b)).join(" && ")})`);
    else if (k === "$expr") parts.push(`${b.helper(truthy)}(${exprSource(v, b, DOC_SCOPE)})`);
    else parts.push(conditionSource(k, v, b));
  }
  return parts.length ? parts.join(" && ") : "true";
}

function isPlainObject(x: unknown): boolean {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Date);
}

const isScalar = (c: unknown) =>
  typeof c === "string" || typeof c === "boolean" || (typeof c === "number" && !Number.isNaN(c)) || c === null;

/** One field's condition: inline tests on a plain value, the compiled predicate for anything else. */
function conditionSource(field: string, cond: unknown, b: SourceBuilder): string {
  const whole = `${b.value(compileMatch({ [field]: cond }))}(d)`;
  if (field.startsWith("$") || field.includes(".") || field in Object.prototype) return whole;
  const ops: [string, unknown][] =
    isPlainObject(cond) && Object.keys(cond as Doc).every((k) => k.startsWith("$")) && Object.keys(cond as Doc).length
      ? Object.entries(cond as Doc)
      : [["$eq", cond]];
  const tests = ops.map(([op, c]) => inlineTest(op, c, b));
  if (tests.some((t) => t === undefined)) return whole;
  // `x` holds the field; an array (whose elements match too) or a value no inline test covers goes
  // to the compiled predicate.
  const x = b.temp();
  return `((${x} = d[${b.value(field)}]) !== null && typeof ${x} === "object" && !(${x} instanceof Date) ? ${whole} : ${tests
    .map((t) => t!(x, whole))
    .join(" && ")})`;
}

type InlineTest = (x: string, whole: string) => string;

/** An inline test of a non-array, non-document value `x`; undefined when the operator has none here. */
function inlineTest(op: string, c: unknown, b: SourceBuilder): InlineTest | undefined {
  if ((op === "$eq" || op === "$ne") && isScalar(c)) {
    const not = op === "$ne" ? "!" : "";
    if (c === null) return (x) => `${not}(${x} === null || ${x} === undefined)`;
    const k = b.value(c);
    // A value of another type (a Long beside a number, say) is left to the compiled predicate.
    return (x, whole) => `(typeof ${x} === "${typeof c}" ? ${not}(${x} === ${k}) : ${whole})`;
  }
  if (op === "$in" && Array.isArray(c) && c.length > 0 && c.every((v) => isScalar(v) && v !== null)) {
    const set = b.value(new Set(c));
    return (x, whole) =>
      `(typeof ${x} === "string" || (typeof ${x} === "number" && ${x} === ${x}) || typeof ${x} === "boolean" ? ${set}.has(${x}) : ${whole})`;
  }
  const rel = ranges[op];
  if (rel && c instanceof Date && !Number.isNaN(c.getTime())) {
    const ms = b.value(c.getTime());
    return (x, whole) => `(${x} instanceof Date ? ${x}.getTime() ${rel} ${ms} : ${whole})`;
  }
  if (rel && typeof c === "number" && !Number.isNaN(c)) {
    const k = b.value(c);
    return (x, whole) => `(typeof ${x} === "number" && ${x} === ${x} ? ${x} ${rel} ${k} : ${whole})`;
  }
  return undefined;
}

const ranges: Readonly<Record<string, string>> = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };

/** A `$match` filter as one generated predicate; undefined when it would not fit the source limit. */
export function generateMatch(filter: Doc): Predicate | undefined {
  const b = new SourceBuilder();
  const test = matchSource(filter, b);
  const vars = b.helper(NO_VARS);
  const { bindings, temps } = b.prelude();
  const source = `"use strict"; ${bindings} const v = ${vars};
return function match(d) {
  ${temps}
  return ${test};
};`;
  return source.length > MAX_SOURCE_CHARS ? undefined : instantiate<Predicate>(source, b.data);
}

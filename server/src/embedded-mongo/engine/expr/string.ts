import { type Doc, type Expr, Unsupported, args, compileExpr } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";

function opConcat(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    let out = "";
    for (const f of xs) {
      const x = f(d, v);
      if (x === null || x === undefined) return null;
      out += concatPart(x);
    }
    return out;
  };
}

/** One operand of `$concat`, checked (null and missing are the caller's: they make the result null). */
export function concatPart(x: unknown): string {
  if (typeof x !== "string") throw locationError(16702, "$concat only supports strings");
  return x;
}

function opRegexMatch(_op: string, spec: unknown): Expr {
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

/** String expression operators ($concat, $regexMatch). */
export const stringOperators: Readonly<Record<string, OperatorCompiler>> = {
  $concat: opConcat,
  $regexMatch: opRegexMatch,
};

import { type Doc, type Expr, args, compileExpr, truthy } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";

function opIfNull(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    for (let i = 0; i < xs.length - 1; i++) {
      const x = xs[i]!(d, v);
      if (x !== null && x !== undefined) return x;
    }
    return xs.at(-1)!(d, v);
  };
}

function opCond(_op: string, spec: unknown): Expr {
  const [c, t, f] = Array.isArray(spec)
    ? args(spec, 3)
    : [compileExpr((spec as Doc).if), compileExpr((spec as Doc).then), compileExpr((spec as Doc).else)];
  return (d, v) => (truthy(c!(d, v)) ? t!(d, v) : f!(d, v));
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

/** Conditional expression operators ($cond, $ifNull, $switch). */
export const conditionalOperators: Readonly<Record<string, OperatorCompiler>> = {
  $ifNull: opIfNull,
  $cond: opCond,
  $switch: (_op, spec) => compileSwitch(spec as Doc),
};

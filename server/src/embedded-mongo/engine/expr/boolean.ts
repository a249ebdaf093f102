import { type Expr, args, truthy } from "../compile-expr.js";
import type { OperatorCompiler } from "./operator.js";

// Plain loops: a callback per evaluation would be one allocation per document and operator.
function opAnd(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    for (let i = 0; i < xs.length; i++) if (!truthy(xs[i]!(d, v))) return false;
    return true;
  };
}

function opOr(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    for (let i = 0; i < xs.length; i++) if (truthy(xs[i]!(d, v))) return true;
    return false;
  };
}

function opNot(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => !truthy(x(d, v));
}

/** Boolean expression operators ($and, $or, $not) with MongoDB truthiness. */
export const booleanOperators: Readonly<Record<string, OperatorCompiler>> = {
  $and: opAnd,
  $or: opOr,
  $not: opNot,
};

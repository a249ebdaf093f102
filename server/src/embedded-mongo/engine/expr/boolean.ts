import { type Expr, args, truthy } from "../compile-expr.js";
import type { OperatorCompiler } from "./operator.js";

function opAnd(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => xs.every((x) => truthy(x(d, v)));
}

function opOr(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => xs.some((x) => truthy(x(d, v)));
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

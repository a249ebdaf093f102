import { type Expr, args, cmp } from "../compile-expr.js";
import type { OperatorCompiler } from "./operator.js";

const tests: Readonly<Record<string, (c: number) => boolean>> = {
  $eq: (c) => c === 0,
  $ne: (c) => c !== 0,
  $gt: (c) => c > 0,
  $gte: (c) => c >= 0,
  $lt: (c) => c < 0,
  $lte: (c) => c <= 0,
};

function opCompare(op: string, spec: unknown): Expr {
  const [a, b] = args(spec, 2) as [Expr, Expr];
  const test = tests[op]!;
  return (d, v) => test(cmp(a(d, v), b(d, v)));
}

/** Comparison expression operators ($eq, $ne, $gt, $gte, $lt, $lte): total BSON order, missing below null. */
export const comparisonOperators: Readonly<Record<string, OperatorCompiler>> = {
  $eq: opCompare,
  $ne: opCompare,
  $gt: opCompare,
  $gte: opCompare,
  $lt: opCompare,
  $lte: opCompare,
};

import { isBsonNumber } from "../bson-order.js";
import { type Doc, type Expr, args, bsonTypeName, isNum } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";

function opLiteral(_op: string, spec: unknown): Expr {
  return () => spec;
}

function opToLong(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => toLong(x(d, v));
}

/** `$toLong` of an evaluated operand. */
export function toLong(n: unknown): number | null {
  if (n === null || n === undefined) return null;
  if (n instanceof Date) return n.getTime();
  if (isNum(n)) return Math.trunc(n);
  if (typeof n === "boolean") return n ? 1 : 0;
  if (typeof n === "string" && /^-?\d+$/.test(n)) return Number(n);
  throw locationError(241, `Failed to parse number '${String(n)}' in $convert`);
}

function opIsNumber(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => isBsonNumber(x(d, v));
}

function opType(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => bsonTypeName(x(d, v));
}

function opObjectToArray(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => {
    const o = x(d, v);
    if (o === null || o === undefined) return null;
    if (bsonTypeName(o) !== "object") throw locationError(40390, "$objectToArray requires a document input");
    return Object.keys(o as Doc).map((k) => ({ k, v: (o as Doc)[k] }));
  };
}

/** Type and literal expression operators ($literal, $type, $isNumber, $toLong, $objectToArray). */
export const typeOperators: Readonly<Record<string, OperatorCompiler>> = {
  $literal: opLiteral,
  $toLong: opToLong,
  $isNumber: opIsNumber,
  $type: opType,
  $objectToArray: opObjectToArray,
};

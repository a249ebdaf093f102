import { isBsonNumber, toNumber } from "../bson-order.js";
import { type Expr, Unsupported, args, isNum } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";

function opAdd(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    let sum = 0;
    let date = false;
    for (const f of xs) {
      const x = f(d, v);
      if (x === null || x === undefined) return null;
      if (x instanceof Date) {
        if (date) throw oneDate();
        date = true;
      }
      sum += addend(x);
    }
    return date ? new Date(sum) : sum;
  };
}

/**
 * `$add` of two operands, the first already checked with {@link addend} (the operands are evaluated
 * one at a time, as the general form does: a null first operand answers null before the second runs).
 */
export function add2(x: unknown, y: unknown): unknown {
  if (typeof x === "number" && typeof y === "number") return x + y;
  if (y === null || y === undefined) return null;
  const a = addend(x);
  if (x instanceof Date && y instanceof Date) throw oneDate();
  const b = addend(y);
  return x instanceof Date || y instanceof Date ? new Date(a + b) : a + b;
}

const oneDate = () => locationError(16612, "only one date allowed in an $add expression");

/** An operand of `$add` as milliseconds or a number (error 16554 for any other type). */
export function addend(x: unknown): number {
  if (x instanceof Date) return x.getTime();
  if (isBsonNumber(x)) return toNumber(x);
  throw locationError(16554, "$add only supports numeric or date types");
}

function opSubtract(_op: string, spec: unknown): Expr {
  const [a, b] = args(spec, 2) as [Expr, Expr];
  return (d, v) => subtract(a(d, v), b(d, v));
}

/** `$subtract` of two evaluated operands: numbers, two dates (milliseconds) or a date less milliseconds. */
export function subtract(x: unknown, y: unknown): unknown {
  if (x === null || x === undefined || y === null || y === undefined) return null;
  if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
  if (x instanceof Date && isNum(y)) return new Date(x.getTime() - y);
  if (isNum(x) && isNum(y)) return x - y;
  throw locationError(16556, "cant $subtract these types");
}

function opMultiply(op: string, spec: unknown): Expr {
  const xs = args(spec);
  if (op !== "$multiply" && xs.length !== 2) throw new Unsupported();
  if (xs.length === 2) return binary(op, xs[0]!, xs[1]!);
  return (d, v) => {
    const vals = xs.map((f) => f(d, v));
    if (vals.some((x) => x === null || x === undefined)) return null;
    if (!vals.every(isNum)) throw locationError(16555, `${op} only supports numeric types`);
    if (op === "$multiply") return vals.reduce((p, x) => p * x, 1);
    if (vals[1] === 0)
      throw locationError(
        op === "$divide" ? 2 : 16610,
        op === "$divide" ? "can't $divide by zero" : "can't $mod by zero",
      );
    return op === "$divide" ? vals[0]! / vals[1]! : vals[0]! % vals[1]!;
  };
}

/** Two operands of `$multiply`, `$divide` or `$mod`, without an array per evaluation (same rules as below). */
function binary(op: string, a: Expr, b: Expr): Expr {
  const f = binaryOperators[op as keyof typeof binaryOperators];
  return (d, v) => f(a(d, v), b(d, v));
}

function binaryOf(op: "$multiply" | "$divide" | "$mod"): (x: unknown, y: unknown) => unknown {
  return (x, y) => {
    if (x === null || x === undefined || y === null || y === undefined) return null;
    if (!isNum(x) || !isNum(y)) throw locationError(16555, `${op} only supports numeric types`);
    if (op === "$multiply") return x * y;
    if (y === 0)
      throw locationError(
        op === "$divide" ? 2 : 16610,
        op === "$divide" ? "can't $divide by zero" : "can't $mod by zero",
      );
    return op === "$divide" ? x / y : x % y;
  };
}

/** `$multiply`, `$divide` and `$mod` of two evaluated operands. */
export const binaryOperators = {
  $multiply: binaryOf("$multiply"),
  $divide: binaryOf("$divide"),
  $mod: binaryOf("$mod"),
} as const;

function opUnaryNumeric(op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  const fn = op === "$floor" ? Math.floor : Math.abs;
  return (d, v) => {
    const n = x(d, v);
    if (n === null || n === undefined) return null;
    if (!isBsonNumber(n)) throw locationError(28765, `${op} only supports numeric types`);
    return fn(toNumber(n));
  };
}

/** Arithmetic expression operators ($add, $subtract, $multiply, $divide, $mod, $floor, $abs), with MongoDB's type errors. */
export const arithmeticOperators: Readonly<Record<string, OperatorCompiler>> = {
  $add: opAdd,
  $subtract: opSubtract,
  $multiply: opMultiply,
  $divide: opMultiply,
  $mod: opMultiply,
  $floor: opUnaryNumeric,
  $abs: opUnaryNumeric,
};

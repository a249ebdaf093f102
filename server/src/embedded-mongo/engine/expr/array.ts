import { valuesEqual } from "../bson-order.js";
import { type Doc, type Expr, args, cmp, compileExpr, fieldPath, isNum } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";
import { compileScoped } from "./variable.js";

function opIn(_op: string, spec: unknown): Expr {
  const [x, arr] = args(spec, 2) as [Expr, Expr];
  return (d, v) => {
    const list = arr(d, v);
    return inList(list, x(d, v));
  };
}

/** `$in` of evaluated operands, the array first (it is evaluated, and checked, before the value). */
export function inList(list: unknown, needle: unknown): boolean {
  if (!Array.isArray(list)) throw locationError(40081, "$in requires an array as a second argument");
  for (let i = 0; i < list.length; i++) if (valuesEqual(needle, list[i])) return true;
  return false;
}

function opIsArray(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => Array.isArray(x(d, v));
}

function opSize(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => sizeOf(x(d, v));
}

/** `$size` of an evaluated operand. */
export function sizeOf(a: unknown): number {
  if (!Array.isArray(a)) throw locationError(17124, "The argument to $size must be an array");
  return a.length;
}

function opArrayElemAt(_op: string, spec: unknown): Expr {
  const [a, i] = args(spec, 2) as [Expr, Expr];
  return (d, v) => elementAt(a(d, v), i(d, v));
}

/** `$arrayElemAt` of evaluated operands (a negative index counts from the end). */
export function elementAt(arr: unknown, idx: unknown): unknown {
  if (arr === null || arr === undefined || idx === null || idx === undefined) return null;
  if (!Array.isArray(arr) || !isNum(idx)) throw locationError(28689, "$arrayElemAt needs an array and a number");
  return idx < 0 ? arr[arr.length + idx] : arr[idx];
}

function opConcatArrays(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  return (d, v) => {
    const out: unknown[] = [];
    for (const f of xs) {
      const a = f(d, v);
      if (a === null || a === undefined) return null;
      if (!Array.isArray(a)) throw locationError(28664, "$concatArrays only supports arrays");
      out.push(...a);
    }
    return out;
  };
}

function opRange(_op: string, spec: unknown): Expr {
  const [s, e2, st] = args(spec) as [Expr, Expr, Expr | undefined];
  return (d, v) => {
    const from = s(d, v);
    const to = e2(d, v);
    const step = st ? st(d, v) : 1;
    if (!Number.isInteger(from) || !Number.isInteger(to))
      throw locationError(
        34443,
        "$range requires a starting value and an ending value that can be represented as a 32-bit integer",
      );
    if (!Number.isInteger(step) || step === 0)
      throw locationError(
        34449,
        step === 0
          ? "$range requires a non-zero step value"
          : "$range requires a step value that can be represented as a 32-bit integer",
      );
    const n = Math.max(0, Math.ceil(((to as number) - (from as number)) / (step as number)));
    return Array.from({ length: n }, (_, i) => (from as number) + i * (step as number));
  };
}

function opSlice(_op: string, spec: unknown): Expr {
  const xs = args(spec);
  if (xs.length !== 2 && xs.length !== 3)
    throw locationError(28667, "Expression $slice takes at least 2 arguments, and at most 3");
  return (d, v) => {
    const arr = xs[0]!(d, v);
    const a = xs[1]!(d, v);
    const b = xs[2]?.(d, v);
    if (
      arr === null ||
      arr === undefined ||
      a === null ||
      a === undefined ||
      (xs.length === 3 && (b === null || b === undefined))
    )
      return null;
    if (!Array.isArray(arr)) throw locationError(28724, "First argument to $slice must be an array");
    if (!isNum(a) || !Number.isInteger(a))
      throw locationError(28725, "Second argument to $slice must be a numeric value");
    if (xs.length === 2) return a >= 0 ? arr.slice(0, a) : arr.slice(Math.max(0, arr.length + a));
    if (!isNum(b) || !Number.isInteger(b) || b <= 0)
      throw locationError(28729, "Third argument to $slice must be positive");
    const start = a >= 0 ? Math.min(a, arr.length) : Math.max(0, arr.length + a);
    return arr.slice(start, start + b);
  };
}

function opScoped(op: string, spec: unknown): Expr {
  return compileScoped(op, spec as Doc);
}

/** `$sortArray`: by whole values (`sortBy: 1 | -1`) or by fields (`sortBy: { a: 1, b: -1 }`). */
function compileSortArray(spec: Doc): Expr {
  if (spec === null || typeof spec !== "object" || !("input" in spec) || !("sortBy" in spec))
    throw locationError(2942500, "$sortArray requires both 'input' and 'sortBy'");
  const input = compileExpr(spec.input);
  const by = spec.sortBy;
  const keys: [string[] | undefined, number][] =
    by === 1 || by === -1
      ? [[undefined, by]]
      : Object.entries(by as Doc).map(([k, d]) => [k.split("."), d === -1 ? -1 : 1]);
  return (d, v) => {
    const arr = input(d, v);
    if (arr === null || arr === undefined) return null;
    if (!Array.isArray(arr)) throw locationError(2942504, "$sortArray requires an array as input");
    return arr.slice().sort((a, b) => {
      for (const [path, dir] of keys) {
        const c = cmp(path ? fieldPath(a, path) : a, path ? fieldPath(b, path) : b);
        if (c !== 0) return c * dir;
      }
      return 0;
    });
  };
}

/** Array expression operators ($in, $isArray, $size, $arrayElemAt, $concatArrays, $range, $slice, $sortArray, $map, $filter, $reduce). */
export const arrayOperators: Readonly<Record<string, OperatorCompiler>> = {
  $in: opIn,
  $isArray: opIsArray,
  $size: opSize,
  $arrayElemAt: opArrayElemAt,
  $concatArrays: opConcatArrays,
  $range: opRange,
  $slice: opSlice,
  $sortArray: (_op, spec) => compileSortArray(spec as Doc),
  $map: opScoped,
  $filter: opScoped,
  $reduce: opScoped,
};

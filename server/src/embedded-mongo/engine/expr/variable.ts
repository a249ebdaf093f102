import { type Doc, type Expr, type Vars, compileExpr, truthy } from "../compile-expr.js";
import { locationError } from "../errors.js";
import type { OperatorCompiler } from "./operator.js";

function opLet(op: string, spec: unknown): Expr {
  return compileScoped(op, spec as Doc);
}

/** `$let`, `$map`, `$filter` and `$reduce`: expressions with variables of their own in scope. */
export function compileScoped(op: string, spec: Doc): Expr {
  if (op === "$let") {
    const vars = Object.entries(spec.vars as Doc).map(([k, x]) => [k, compileExpr(x)] as const);
    const body = compileExpr(spec.in);
    return (d, v) => {
      const scope = { ...v };
      for (const [k, f] of vars) scope[k] = f(d, v);
      return body(d, scope);
    };
  }
  const input = compileExpr(spec.input);
  if (op === "$reduce") {
    const init = compileExpr(spec.initialValue);
    const body = compileExpr(spec.in);
    return (d, v) => {
      const arr = input(d, v);
      if (arr === null || arr === undefined) return null;
      let acc = init(d, v);
      // One scope per evaluation, updated per element (a fresh object per element dominated the cost).
      const scope: Vars = { ...v, value: acc, this: undefined };
      for (const el of arr as unknown[]) {
        scope.value = acc;
        scope.this = el;
        acc = body(d, scope);
      }
      return acc;
    };
  }
  const as = typeof spec.as === "string" ? spec.as : "this";
  const body = compileExpr(op === "$map" ? spec.in : spec.cond);
  return (d, v) => {
    const arr = input(d, v);
    if (arr === null || arr === undefined) return null;
    if (!Array.isArray(arr)) throw locationError(op === "$map" ? 16883 : 28651, `input to ${op} must be an array`);
    const scope: Vars = { ...v };
    const at = (el: unknown) => {
      scope[as] = el;
      return body(d, scope);
    };
    return op === "$map" ? arr.map(at) : arr.filter((el) => truthy(at(el)));
  };
}

/** Variable expression operators ($let). */
export const variableOperators: Readonly<Record<string, OperatorCompiler>> = {
  $let: opLet,
};

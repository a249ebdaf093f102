import { type Expr, args, truthy } from "../compile-expr.js";
import { locationError } from "../errors.js";
import { valueKey } from "../keys.js";
import type { OperatorCompiler } from "./operator.js";

function opAnyElementTrue(_op: string, spec: unknown): Expr {
  const [x] = args(spec, 1) as [Expr];
  return (d, v) => {
    const a = x(d, v);
    if (!Array.isArray(a)) throw locationError(5159200, "$anyElementTrue's argument must be an array");
    return a.some(truthy);
  };
}

function opSetDifference(_op: string, spec: unknown): Expr {
  const [a, b] = args(spec, 2) as [Expr, Expr];
  return (d, v) => {
    const x = a(d, v);
    const y = b(d, v);
    if (!Array.isArray(x) || !Array.isArray(y)) return null;
    const drop = new Set(y.map(valueKey));
    const seen = new Set<string>();
    return x.filter((el) => {
      const k = valueKey(el);
      if (drop.has(k) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
}

/** Set expression operators ($setDifference, $anyElementTrue). */
export const setOperators: Readonly<Record<string, OperatorCompiler>> = {
  $anyElementTrue: opAnyElementTrue,
  $setDifference: opSetDifference,
};

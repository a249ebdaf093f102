import type { Expr } from "../compile-expr.js";

/** Compiles one expression operator (`op` names it, for operators that share an implementation). */
export type OperatorCompiler = (op: string, spec: unknown) => Expr;

import { Context, evalExpr } from "mingo/core";
import type { Options } from "mingo/types";
import { Lazy } from "mingo/lazy";
import * as accumulatorOps from "mingo/operators/accumulator";
import * as expressionOps from "mingo/operators/expression";
import * as pipelineOps from "mingo/operators/pipeline";
import * as projectionOps from "mingo/operators/projection";
import * as queryOps from "mingo/operators/query";
import * as windowOps from "mingo/operators/window";
import { evalDateTrunc } from "./compile-expr.js";
import { badValue, locationError } from "./errors.js";

type AnyObj = Record<string, unknown>;

/**
 * Operators registered over mingo's defaults, each fixing a measured defect against MongoDB:
 * `$percentile`/`$median` sorted numbers as text; `$dateTrunc` ignored or misapplied `timezone`;
 * `$count` on empty input produced a document where MongoDB produces none.
 */
const fixes = Context.init({
  accumulator: { $percentile: percentileOp, $median: medianOp } as never,
  // mingo resolves expression operators before accumulators, even inside $group, so the expression
  // forms must be replaced too; each handles both a group (array of documents) and a single document.
  expression: {
    $percentile: percentileOp,
    $median: medianOp,
    $dateTrunc: (obj: unknown, expr: unknown, options: Options) => evalDateTrunc(evalExpr(obj, expr, options) as Record<string, unknown>),
  } as never,
  pipeline: {
    $count: (coll: { size(): number }, expr: unknown) => {
      if (typeof expr !== "string" || expr === "" || expr.includes(".") || expr.startsWith("$")) {
        throw badValue("the count field must be a non-empty string, not start with '$' and not contain '.'");
      }
      const n = coll.size();
      let done = n === 0;
      return Lazy(() => {
        if (done) return { done: true, value: undefined };
        done = true;
        return { done: false, value: { [expr]: n } };
      });
    },
  } as never,
});

function percentileOp(obj: unknown, expr: unknown, options: Options): unknown {
  const spec = expr as AnyObj;
  if (!spec || typeof spec !== "object" || !("input" in spec) || !Array.isArray(spec.p)) {
    throw locationError(7436100, "$percentile requires 'input', 'p' and 'method'");
  }
  const values = inputValues(obj, spec.input, options);
  return (spec.p as unknown[]).map((p) => {
    if (typeof p !== "number" || p < 0 || p > 1) throw locationError(7750301, "$percentile 'p' must be an array of numbers in [0.0, 1.0]");
    return discretePercentile(values, p);
  });
}

function medianOp(obj: unknown, expr: unknown, options: Options): unknown {
  const spec = expr as AnyObj;
  if (!spec || typeof spec !== "object" || !("input" in spec)) throw locationError(7436100, "$median requires 'input' and 'method'");
  return discretePercentile(inputValues(obj, spec.input, options), 0.5);
}

/** Accumulator use (a group of documents): one input per document. Expression use: the input is an array (or a number). */
function inputValues(obj: unknown, input: unknown, options: Options): number[] {
  if (Array.isArray(obj)) return numericSorted(obj, input, options);
  const v = evalExpr(obj, input, options);
  const xs = Array.isArray(v) ? v : [v];
  return xs.filter((x): x is number => typeof x === "number" && !Number.isNaN(x)).sort((a, b) => a - b);
}

/** Each document's input (mingo's own `$push` sets every document as the root), numbers only, sorted numerically. */
function numericSorted(coll: unknown[], input: unknown, options: Options): number[] {
  const values = (accumulatorOps.$push as (c: unknown[], e: unknown, o: Options) => unknown[])(coll, input, options);
  return values.filter((v): v is number => typeof v === "number" && !Number.isNaN(v)).sort((a, b) => a - b);
}

/** The discrete percentile MongoDB returns for small inputs: the value at rank ceil(p·n). */
function discretePercentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.max(0, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.min(i, sorted.length - 1)]!;
}

/**
 * The engine's operator table: the fixes first, then mingo's defaults (mingo keeps the first
 * definition of a name when merging contexts, so the fixes win).
 */
export const engineContext = Context.from(
  fixes,
  Context.init({
    accumulator: accumulatorOps as never,
    expression: expressionOps as never,
    pipeline: pipelineOps as never,
    projection: projectionOps as never,
    query: queryOps as never,
    window: windowOps as never,
  }),
);

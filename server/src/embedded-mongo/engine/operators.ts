import { Context, evalExpr } from "mingo/core";
import type { Options } from "mingo/types";
import { Lazy } from "mingo/lazy";
import * as accumulatorOps from "mingo/operators/accumulator";
import * as expressionOps from "mingo/operators/expression";
import * as pipelineOps from "mingo/operators/pipeline";
import * as projectionOps from "mingo/operators/projection";
import * as queryOps from "mingo/operators/query";
import * as windowOps from "mingo/operators/window";
import { bsonTypeName, cmp, evalDateTrunc, type Doc } from "./compile-expr.js";
import { sortDocuments, unwindDocuments } from "./compile-pipeline.js";
import { badValue, locationError } from "./errors.js";
import { TDigest, nearestRank, percentileInput, percentileSpec } from "./percentile.js";

type AnyObj = Record<string, unknown>;

/**
 * Operators registered over mingo's defaults, each fixing a measured defect against MongoDB:
 * `$percentile`/`$median` sorted numbers as text; `$dateTrunc` ignored or misapplied `timezone`;
 * `$count` on empty input produced a document where MongoDB produces none; `$sort` and `$unwind` (see
 * below); the comparison expressions
 * treated a missing operand as equal to anything (MongoDB: missing sorts below null and every value;
 * found by the differential test).
 */
// The `as never` casts below are the only ones left in the server: mingo types each operator table by
// its own callback signatures, which these fixes (written against the MongoDB semantics, not mingo's
// internals) and mingo's own exported tables do not spell out.
const fixes = Context.init({
  accumulator: { $percentile: percentileOp, $median: medianOp, $min: extreme(-1), $max: extreme(1) } as never,
  // mingo resolves expression operators before accumulators, even inside $group, so the expression
  // forms must be replaced too; each handles both a group (array of documents) and a single document.
  expression: {
    $percentile: percentileOp,
    $median: medianOp,
    $dateTrunc: (obj: unknown, expr: unknown, options: Options) =>
      evalDateTrunc(evalExpr(obj, expr, options) as Record<string, unknown>),
    // Numbers are typed as the wire types them: an integral double beyond 32 bits is a "double".
    $min: extremeExpression(-1),
    $max: extremeExpression(1),
    $type: (obj: unknown, expr: unknown, options: Options) =>
      bsonTypeName(evalExpr(obj, Array.isArray(expr) ? expr[0] : expr, options)),
    $eq: comparison((c) => c === 0),
    $ne: comparison((c) => c !== 0),
    $gt: comparison((c) => c > 0),
    $gte: comparison((c) => c >= 0),
    $lt: comparison((c) => c < 0),
    $lte: comparison((c) => c <= 0),
  } as never,
  pipeline: {
    // mingo compared arrays whole (MongoDB sorts by their smallest element ascending, largest
    // descending) and dropped falsy scalars in $unwind (MongoDB keeps any non-null scalar).
    $sort: (coll: { collect<T>(): T[] }, expr: unknown) => Lazy(sortDocuments(coll.collect<Doc>(), expr as Doc)),
    $unwind: (coll: { collect<T>(): T[] }, expr: unknown) => Lazy(unwindDocuments(coll.collect<Doc>(), expr)),
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

/**
 * `$min`/`$max` accumulators in BSON order, arrays compared whole (mingo ranked an array below a
 * number); null and missing values are ignored, and no value at all is null.
 */
function extreme(sign: number) {
  return (coll: unknown[], expr: unknown, options: Options): unknown => {
    let best: unknown;
    // mingo's own $push evaluates the expression with each document as the root.
    for (const v of (accumulatorOps.$push as (c: unknown[], e: unknown, o: Options) => unknown[])(
      coll,
      expr,
      options,
    )) {
      if (v === null || v === undefined) continue;
      if (best === undefined || cmp(v, best) * sign > 0) best = v;
    }
    return best === undefined ? null : best;
  };
}

/** The expression forms: a group (array of documents) accumulates; a document takes the operands, or one array operand's elements. */
function extremeExpression(sign: number) {
  const acc = extreme(sign);
  return (obj: unknown, expr: unknown, options: Options): unknown => {
    if (Array.isArray(obj)) return acc(obj, expr, options);
    let values: unknown[];
    if (Array.isArray(expr))
      values = expr.length === 1 ? [evalExpr(obj, expr[0], options)] : expr.map((e) => evalExpr(obj, e, options));
    else values = [evalExpr(obj, expr, options)];
    if (values.length === 1 && Array.isArray(values[0])) values = values[0] as unknown[];
    let best: unknown;
    for (const v of values)
      if (v !== null && v !== undefined && (best === undefined || cmp(v, best) * sign > 0)) best = v;
    return best === undefined ? null : best;
  };
}

/** An aggregation comparison operator with MongoDB's order (missing below null below every value). */
function comparison(test: (c: number) => boolean) {
  return (obj: unknown, expr: unknown, options: Options): boolean => {
    if (!Array.isArray(expr) || expr.length !== 2) throw locationError(16020, "Expression takes exactly 2 arguments");
    return test(cmp(evalExpr(obj, expr[0], options), evalExpr(obj, expr[1], options)));
  };
}

function percentileOp(obj: unknown, expr: unknown, options: Options): unknown {
  const ps = percentileSpec("$percentile", expr);
  return percentiles(obj, (expr as AnyObj).input, ps, options);
}

function medianOp(obj: unknown, expr: unknown, options: Options): unknown {
  percentileSpec("$median", expr);
  return percentiles(obj, (expr as AnyObj).input, [0.5], options)[0];
}

/**
 * Accumulator use (a group of documents, one input each): the t-digest, as mongod. Expression use (an
 * array, or a number): mongod skips the digest for such small inputs and answers the exact nearest rank.
 */
function percentiles(obj: unknown, input: unknown, ps: readonly number[], options: Options): (number | null)[] {
  if (Array.isArray(obj)) {
    const digest = new TDigest();
    const values = (accumulatorOps.$push as (c: unknown[], e: unknown, o: Options) => unknown[])(obj, input, options);
    for (const v of values) {
      const x = percentileInput(v);
      if (x !== undefined) digest.add(x);
    }
    return ps.map((p) => digest.percentile(p));
  }
  const v = evalExpr(obj, input, options);
  const xs: number[] = [];
  for (const x of Array.isArray(v) ? v : [v]) {
    const n = percentileInput(x);
    if (n !== undefined && !Number.isNaN(n)) xs.push(n);
  }
  xs.sort((a, b) => a - b);
  return ps.map((p) => (xs.length === 0 ? null : xs[nearestRank(xs.length, p)]!));
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

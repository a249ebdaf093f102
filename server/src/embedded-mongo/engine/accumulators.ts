import { compareValues, isBsonNumber, toNumber } from "./bson-order.js";
import { type Doc, type Expr, Unsupported, compileExpr } from "./compile-expr.js";
import { locationError } from "./errors.js";
import { valueKey } from "./keys.js";
import { MemoryBudget, accumulatorTooLarge, approxBsonSize } from "./limits.js";
import { TDigest, percentileInput, percentileSpec } from "./percentile.js";

import { NO_VARS } from "./stages/stage.js";

/**
 * A `$group` accumulator. `step` updates its state in place: numeric states live in object fields,
 * which V8 updates without allocating, so a group over a million documents makes no garbage per step.
 */
export interface Acc<S = unknown> {
  /** A fresh state; `group` is the `$group`'s budget when it may not spill (array accumulators add to it). */
  init(group?: MemoryBudget): S;
  step(state: S, doc: Doc): void;
  done(state: S): unknown;
  /**
   * For accumulators of one expression: that expression as written, and the step on its value (what
   * `step` does after evaluating it), so a fused loop can evaluate it where the document is not built.
   */
  readonly expression?: {
    readonly spec: unknown;
    add(state: S, value: unknown): void;
    /** What `add` does with a JavaScript number, as source (`@s` the state, `@x` the value), for generated loops. */
    readonly numberStep?: string;
  };
}

/** An accumulator of one expression's value per document, before its expression is attached. */
type ValueAcc<S> = Pick<Acc<S>, "init" | "done"> & {
  add(state: S, value: unknown): void;
  readonly numberStep?: string;
};

function accSum(): ValueAcc<{ v: number }> {
  return {
    init: () => ({ v: 0 }),
    numberStep: "@s.v += @x;",
    add: (s, v) => {
      if (typeof v === "number") s.v += v;
      else if (v !== null && v !== undefined && isBsonNumber(v)) s.v += toNumber(v); // Long, Decimal128, Int32
    },
    done: (s) => s.v,
  };
}

function accAvg(): ValueAcc<{ sum: number; n: number }> {
  return {
    init: () => ({ sum: 0, n: 0 }),
    numberStep: "@s.sum += @x; @s.n++;",
    add: (s, v) => {
      if (typeof v === "number") {
        s.sum += v;
        s.n++;
      }
    },
    done: (s) => (s.n === 0 ? null : s.sum / s.n),
  };
}

function accExtreme(op: string): ValueAcc<{ v: unknown }> {
  const sign = op === "$min" ? -1 : 1;
  return {
    init: () => ({ v: undefined as unknown }),
    // Number beside number; anything else (the first value, a date, a Long) takes `add`.
    numberStep: `if (typeof @s.v !== "number") @a.add(@s, @x); else if (@x ${sign < 0 ? "<" : ">"} @s.v) @s.v = @x;`,
    add: (s, v) => {
      if (v === null || v === undefined) return;
      const cur = s.v;
      if (cur === undefined) s.v = v;
      else if (typeof v === "number" && typeof cur === "number") {
        if (sign < 0 ? v < cur : v > cur) s.v = v;
      } else if (v instanceof Date && cur instanceof Date) {
        if (sign < 0 ? v.getTime() < cur.getTime() : v.getTime() > cur.getTime()) s.v = v;
      } else if (compareValues(v, cur) * sign > 0) s.v = v;
    },
    done: (s) => (s.v === undefined ? null : s.v),
  };
}

type ArrayState = { xs: unknown[]; seen?: Set<string>; own: MemoryBudget; group?: MemoryBudget };

function accArray(op: string): ValueAcc<ArrayState> {
  type S = ArrayState;
  const set = op === "$addToSet";
  return {
    init: (group?: MemoryBudget): S => ({
      xs: [],
      seen: set ? new Set() : undefined,
      own: new MemoryBudget(() => accumulatorTooLarge(op)),
      group,
    }),
    add: (s, v) => {
      if (v === undefined) return;
      if (s.seen) {
        const k = valueKey(v);
        if (s.seen.has(k)) return;
        s.seen.add(k);
      }
      s.xs.push(v);
      const bytes = approxBsonSize(v);
      s.own.add(bytes);
      s.group?.add(bytes);
    },
    done: (s) => s.xs,
  };
}

function accFirst(): ValueAcc<{ v: unknown; seen: boolean }> {
  return {
    init: () => ({ v: null as unknown, seen: false }),
    add: (s, v) => {
      if (s.seen) return;
      s.seen = true;
      s.v = v ?? null;
    },
    done: (s) => s.v,
  };
}

function accLast(): ValueAcc<{ v: unknown }> {
  return {
    init: () => ({ v: null as unknown }),
    add: (s, v) => {
      s.v = v ?? null;
    },
    done: (s) => s.v,
  };
}

/**
 * `$topN`/`$bottomN` (MongoDB 5.2+): the `output` of the first (last) `n` documents in `sortBy` order,
 * holding at most `n` of them, whatever the group's size. Ties are left in no particular order.
 */
function accTopN(op: "$topN" | "$bottomN", arg: unknown): Acc {
  const a = (arg ?? {}) as Doc;
  const n = a.n;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1)
    throw locationError(5787902, `'n' must be a positive integral value for ${op}`);
  const sortBy = a.sortBy;
  if (sortBy === null || typeof sortBy !== "object" || Array.isArray(sortBy) || Object.keys(sortBy).length === 0)
    throw locationError(5788604, `${op} requires a non-empty 'sortBy' object`);
  if (!Object.hasOwn(a, "output")) throw locationError(5788001, `${op} requires 'output'`);
  const sign = op === "$topN" ? 1 : -1;
  const keys = Object.entries(sortBy as Doc).map(([path, dir]) => {
    if (dir !== 1 && dir !== -1)
      throw locationError(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    return { get: compileExpr(`$${path}`), dir: dir * sign };
  });
  const output = compileExpr(a.output);
  type Item = { k: unknown[]; v: unknown };
  const cmp = (x: Item, y: Item) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(x.k[i] ?? null, y.k[i] ?? null) * keys[i]!.dir;
      if (c !== 0) return c;
    }
    return 0;
  };
  return {
    init: () => [] as Item[],
    step: (s: Item[], d) => {
      const item = { k: keys.map((k) => k.get(d, NO_VARS)), v: output(d, NO_VARS) };
      if (s.length === n && cmp(item, s[n - 1]!) >= 0) return;
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(s[mid]!, item) <= 0) lo = mid + 1;
        else hi = mid;
      }
      s.splice(lo, 0, item);
      if (s.length > n) s.pop();
    },
    // $bottomN kept its n in reverse order; both answer in sortBy order.
    done: (s: Item[]) => (sign === 1 ? s : [...s].reverse()).map((i) => i.v ?? null),
  };
}

/** Accumulators by operator, each built from its compiled argument. */
type Factory = (op: string, arg: unknown) => Acc;

/** The accumulators whose argument is one expression, evaluated per document. */
const ofExpression =
  <S>(make: (op: string) => ValueAcc<S>): Factory =>
  (op, arg) =>
    withExpression(make(op), arg);

/** A value accumulator with its expression attached. */
function withExpression<S>(acc: ValueAcc<S>, spec: unknown): Acc {
  const f: Expr = compileExpr(spec);
  const add = acc.add;
  return {
    init: acc.init,
    done: acc.done as (s: unknown) => unknown,
    step: (s, d) => add(s as S, f(d, NO_VARS)),
    expression: { spec, add: add as (s: unknown, v: unknown) => void, numberStep: acc.numberStep },
  };
}

const byOperator: Readonly<Record<string, Factory>> = {
  $sum: ofExpression(accSum),
  $avg: ofExpression(accAvg),
  $min: ofExpression(accExtreme),
  $max: ofExpression(accExtreme),
  $push: ofExpression(accArray),
  $addToSet: ofExpression(accArray),
  $first: ofExpression(accFirst),
  $last: ofExpression(accLast),
  $count: () => counted(),
  // These read a specification object: their own arguments, not one expression.
  $percentile: (op, arg) => percentile(op as "$percentile", arg),
  $median: (op, arg) => percentile(op as "$median", arg),
  $topN: (op, arg) => accTopN(op as "$topN", arg),
  $bottomN: (op, arg) => accTopN(op as "$bottomN", arg),
};

/** Compiles one `$group` accumulator; throws Unsupported for an operator it does not cover. */
export function accumulator(spec: unknown): Acc {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw new Unsupported("accumulator");
  const [op, arg] = Object.entries(spec as Doc)[0]!;
  const make = Object.hasOwn(byOperator, op) ? byOperator[op] : undefined;
  if (!make) throw new Unsupported(op);
  return make(op, arg);
}

/** `$percentile`/`$median` (method "approximate"): a t-digest per group, bounded whatever the group's size. */
function percentile(op: "$percentile" | "$median", arg: unknown): Acc {
  const ps = percentileSpec(op, arg);
  const digest: ValueAcc<TDigest> = {
    init: () => new TDigest(),
    add: (s, value) => {
      const v = percentileInput(value);
      if (v !== undefined) s.add(v);
    },
    done: (s) => (op === "$median" ? s.percentile(0.5) : ps.map((p) => s.percentile(p))),
  };
  return withExpression(digest, (arg as Doc).input);
}

function counted(): Acc<{ n: number }> {
  return {
    init: () => ({ n: 0 }),
    step: (s) => {
      s.n++;
    },
    done: (s) => s.n,
  };
}

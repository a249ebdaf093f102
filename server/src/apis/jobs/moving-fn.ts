import { esError } from "./es-error.js";

/**
 * Elasticsearch's built-in `MovingFunctions`, the only script text `moving_fn` accepts: each reads the
 * window's values (NaN skipped) and answers NaN where Elasticsearch does (printed as null).
 */
export type MovingFunction = (values: readonly number[]) => number;

const finite = (values: readonly number[]) => values.filter((v) => !Number.isNaN(v));

function max(values: readonly number[]): number {
  const xs = finite(values);
  return xs.length ? Math.max(...xs) : Number.NaN;
}

function min(values: readonly number[]): number {
  const xs = finite(values);
  return xs.length ? Math.min(...xs) : Number.NaN;
}

function sum(values: readonly number[]): number {
  return finite(values).reduce((a, v) => a + v, 0);
}

function unweightedAvg(values: readonly number[]): number {
  const xs = finite(values);
  return xs.length ? sum(xs) / xs.length : Number.NaN;
}

/** Weights 1, 2, 3 … from the oldest value to the newest. */
function linearWeightedAvg(values: readonly number[]): number {
  let avg = 0;
  let totalWeight = 1;
  let current = 1;
  for (const v of finite(values)) {
    avg += v * current;
    totalWeight += current;
    current++;
  }
  return totalWeight === 1 ? Number.NaN : avg / (totalWeight - 1);
}

/** Exponentially weighted: the oldest value starts it, each newer one weighs `alpha`. */
function ewma(values: readonly number[], alpha: number): number {
  let avg = Number.NaN;
  for (const v of finite(values)) avg = Number.isNaN(avg) ? v : v * alpha + avg * (1 - alpha);
  return avg;
}

/** Population standard deviation around `avg`. */
function stdDev(values: readonly number[], avg: number): number {
  const xs = finite(values);
  if (xs.length === 0 || Number.isNaN(avg)) return Number.NaN;
  return Math.sqrt(xs.reduce((a, v) => a + (v - avg) ** 2, 0) / xs.length);
}

/**
 * Double exponential smoothing (level and trend); as Elasticsearch's `holt`, the answer is the
 * smoothed level after the last value (its forecast zero steps ahead).
 */
function holt(values: readonly number[], alpha: number, beta: number): number {
  const xs = finite(values);
  if (xs.length === 0) return Number.NaN;
  let s = xs[0]!;
  let b = 0;
  for (const v of xs.slice(1)) {
    const lastS = s;
    s = alpha * v + (1 - alpha) * (lastS + b);
    b = beta * (s - lastS) + (1 - beta) * b;
  }
  return s;
}

/** The longest script accepted (the built-in calls are far shorter). */
const MAX_SCRIPT = 200;

const unary: Readonly<Record<string, MovingFunction>> = { max, min, sum, unweightedAvg, linearWeightedAvg };
const number = String.raw`(-?\d+(?:\.\d+)?)`;
const call = (name: string, args = "") => new RegExp(String.raw`^MovingFunctions\.${name}\(\s*values${args}\s*\)$`);

/**
 * Parses a `moving_fn` script: one call of a built-in function on `values` (optionally `return …;`).
 * Anything else is refused with Elasticsearch's message shape: no script is ever evaluated.
 */
export function parseMovingFunction(script: string, name: string): MovingFunction {
  // The ceiling applies to the script as sent, before any of it is looked at.
  const src = (script.length > MAX_SCRIPT ? "" : script)
    .trim()
    .replace(/^return\s+/, "")
    .replace(/;\s*$/, "")
    .trim();
  if (src !== "") {
    for (const [fn, f] of Object.entries(unary)) if (call(fn).test(src)) return f;
    const e = call("ewma", String.raw`\s*,\s*${number}`).exec(src);
    if (e) return (values) => ewma(values, Number(e[1]));
    const h = call("holt", String.raw`\s*,\s*${number}\s*,\s*${number}`).exec(src);
    if (h) return (values) => holt(values, Number(h[1]), Number(h[2]));
    if (call("stdDev", String.raw`\s*,\s*MovingFunctions\.unweightedAvg\(\s*values\s*\)`).test(src))
      return (values) => stdDev(values, unweightedAvg(values));
  }
  throw esError(
    `[moving_fn] aggregation [${name}] accepts only a built-in MovingFunctions call on values (max, min, sum, unweightedAvg, linearWeightedAvg, ewma, holt, stdDev): scripts are not supported`,
  );
}

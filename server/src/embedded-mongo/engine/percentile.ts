import { isBsonNumber, toNumber } from "./bson-order.js";
import { badValue, locationError } from "./errors.js";

/**
 * `$percentile` and `$median` as MongoDB 7.0 computes them with `method: "approximate"`: a merging
 * t-digest with the k2 scaling function (from Meta's Folly), compaction parameter δ = 1000 and an input
 * buffer of 5δ values, answered by the 0-based rank `max(0, ceil(n·p) − 1)`.
 *
 * What follows from that design, and what the engine therefore shares with mongod:
 * - memory is bounded (at most about 2δ centroids plus the buffer), whatever the input size, so the
 *   accumulator never meets the 100 MB limit;
 * - a centroid of weight 1 answers its own value, so inputs of up to several hundred values (no two
 *   merged) get the exact nearest-rank percentile; larger inputs get an interpolated estimate;
 * - `p = 0` and `p = 1` answer the exact minimum and maximum; NaN is ignored; infinities are counted
 *   apart and answer ±Infinity at their ranks; non-numbers are skipped; Long and Decimal128 count as
 *   doubles.
 */
export const TDIGEST_DELTA = 1000;
const BUFFER_SIZE = 5 * TDIGEST_DELTA;

/** The k2 scale: q ∈ [0, 1] onto [0, δ], steep at both ends so the tails keep small centroids. */
function k2(q: number, delta: number): number {
  return q <= 0.5 ? delta * Math.SQRT1_2 * Math.sqrt(q) : delta - delta * Math.SQRT1_2 * Math.sqrt(1 - q);
}

/** k2's inverse in q. */
function k2Inverse(k: number, delta: number): number {
  const r = k / delta;
  if (r <= 0.5) return 2 * r * r;
  const b = 1 - r;
  return 1 - 2 * b * b;
}

/** The largest quantile a centroid starting at quantile `q` may reach: one unit further on the k2 scale. */
function k2Limit(q: number, delta: number): number {
  return k2Inverse(1 + k2(q, delta), delta);
}

/** A centroid: how many inputs it stands for, and their mean. */
interface Centroid {
  weight: number;
  mean: number;
}

/** Adds `other` into `into`, keeping the mean between the two (scaled from the heavier side). */
function absorb(into: Centroid, otherWeight: number, otherMean: number): void {
  const weight = into.weight + otherWeight;
  if (otherWeight < into.weight) into.mean += (otherMean - into.mean) * (otherWeight / weight);
  else into.mean = otherMean + (into.mean - otherMean) * (into.weight / weight);
  into.weight = weight;
}

/** The nearest rank, 0-based, of percentile `p` among `n` values (MongoDB's, ties toward the lower rank). */
export function nearestRank(n: number, p: number): number {
  return p >= 1 ? n - 1 : Math.max(0, Math.ceil(n * p) - 1);
}

/** A merging t-digest: bounded memory, exact on small inputs, approximate on large ones. */
export class TDigest {
  private centroids: Centroid[] = [];
  private buffer: number[] = [];
  private n = 0;
  private negInf = 0;
  private posInf = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  constructor(private readonly delta = TDIGEST_DELTA) {}

  /** Adds one input; NaN is ignored and infinities are counted apart. */
  add(x: number): void {
    if (Number.isNaN(x)) return;
    if (x === Number.POSITIVE_INFINITY) this.posInf++;
    else if (x === Number.NEGATIVE_INFINITY) this.negInf++;
    else {
      this.buffer.push(x);
      if (this.buffer.length >= BUFFER_SIZE) this.flush();
    }
  }

  /** How many centroids the digest holds (after merging the buffer). */
  size(): number {
    this.flush();
    return this.centroids.length;
  }

  /** Percentile `p` ∈ [0, 1], or null when no number was added. */
  percentile(p: number): number | null {
    this.flush();
    const cs = this.centroids;
    if (cs.length === 0 && this.negInf === 0 && this.posInf === 0) return null;
    if (p >= 1) return this.posInf > 0 ? Number.POSITIVE_INFINITY : this.max;
    if (p <= 0) return this.negInf > 0 ? Number.NEGATIVE_INFINITY : this.min;
    let rank = nearestRank(this.n + this.negInf + this.posInf, p);
    if (rank < this.negInf) return Number.NEGATIVE_INFINITY;
    if (rank >= this.n + this.negInf) return Number.POSITIVE_INFINITY;
    rank -= this.negInf;
    let i = 0;
    let r = 0; // the cumulative weight up to and including centroid i
    for (; i < cs.length; i++) {
      r += cs[i]!.weight;
      if (r > rank) break;
    }
    const c = cs[i]!;
    if (c.weight === 1) return c.mean;
    return this.interpolate(i, r, rank);
  }

  /** Between centroid means, assuming each centroid's inputs are spread evenly around its mean. */
  private interpolate(i: number, r: number, rank: number): number {
    const cs = this.centroids;
    const w = cs[i]!.weight;
    let left: number;
    let right: number;
    let wLeft: number;
    let wRight: number;
    let doubledInner: number;
    if (r - rank >= w / 2) {
      left = i === 0 ? this.min : cs[i - 1]!.mean;
      right = cs[i]!.mean;
      wLeft = i === 0 ? 0 : cs[i - 1]!.weight;
      wRight = w;
      doubledInner = wLeft + 2 * wRight - 2 * (r - 1 - rank);
    } else {
      left = cs[i]!.mean;
      right = i === cs.length - 1 ? this.max : cs[i + 1]!.mean;
      wLeft = w;
      wRight = i === cs.length - 1 ? 0 : cs[i + 1]!.weight;
      doubledInner = wLeft - 2 * (r - 1 - rank);
    }
    const at = left + (right - left) * (doubledInner / (wLeft + wRight));
    return Math.min(at, right);
  }

  /** Sorts the buffer and merges it with the centroids in one pass, compacting as k2 allows. */
  private flush(): void {
    if (this.buffer.length === 0) return;
    const sorted = this.buffer.sort((a, b) => a - b);
    this.buffer = [];
    this.n += sorted.length;
    this.min = Math.min(this.min, sorted[0]!);
    this.max = Math.max(this.max, sorted[sorted.length - 1]!);
    const old = this.centroids;
    const merged: Centroid[] = [];
    const n = this.n;
    let a = 0; // next old centroid
    let b = 0; // next sorted input
    let w = 0; // weight of the merged centroids before the current one
    const nextIsInput = () => b < sorted.length && (a >= old.length || old[a]!.mean > sorted[b]!);
    while (a < old.length || b < sorted.length) {
      const cur: Centroid = nextIsInput() ? { weight: 1, mean: sorted[b++]! } : { ...old[a++]! };
      const limit = n * k2Limit(w / n, this.delta);
      while (a < old.length || b < sorted.length) {
        if (nextIsInput()) {
          if (w + cur.weight + 1 > limit) break;
          absorb(cur, 1, sorted[b++]!);
        } else {
          const o = old[a]!;
          if (w + cur.weight + o.weight > limit) break;
          absorb(cur, o.weight, o.mean);
          a++;
        }
      }
      merged.push(cur);
      w += cur.weight;
    }
    this.centroids = merged;
  }
}

/**
 * Validates a `$percentile`/`$median` argument as MongoDB 7.0 does and returns its percentiles: `p` an
 * array of numbers in [0, 1] (`$median`: 0.5), and `method` "approximate", the only one 7.0 accepts
 * (the oldest MongoDB Tally supports; "discrete" and "continuous" came later).
 */
export function percentileSpec(op: "$percentile" | "$median", arg: unknown): number[] {
  if (arg === null || typeof arg !== "object" || Array.isArray(arg))
    throw locationError(7429703, `specification must be an object; found ${JSON.stringify(arg)}`);
  const spec = arg as Record<string, unknown>;
  if (!Object.hasOwn(spec, "input")) throw locationError(40414, `${op} requires field 'input'`);
  if (spec.method !== "approximate") throw badValue("Currently only 'approximate' can be used as percentile 'method'.");
  if (op === "$median") return [0.5];
  const ps = spec.p;
  const message = "The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: ";
  if (!Array.isArray(ps) || ps.length === 0) throw locationError(7750301, message + JSON.stringify(ps));
  for (const p of ps) {
    if (typeof p !== "number") throw locationError(7750302, message + JSON.stringify(p));
    if (p < 0 || p > 1) throw locationError(7750303, message + p);
  }
  return ps as number[];
}

/** A value as `$percentile` reads it: every BSON number as a double, anything else skipped. */
export function percentileInput(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v !== null && v !== undefined && isBsonNumber(v)) return toNumber(v);
  return undefined;
}

import { compareValues } from "../bson-order.js";
import { Unsupported, fieldPath, type Doc } from "../compile-expr.js";
import { MemoryBudget, approxBsonSize, blockingStageTooLarge, engineLimits, shuffleInPlace } from "../limits.js";
import { diskUseAllowed, tick } from "../deadline.js";
import { badValue } from "../errors.js";
import { type Stage, drain, plain } from "./stage.js";

/**
 * `$sort` (with `limit`: a top-k sort). Without allowDiskUse the documents it holds count against
 * the memory limit; in the test mode ties come out in random order (the sort is stable, so the input
 * is shuffled first), as MongoDB leaves their order unspecified.
 */
export function compileSort(spec: Doc, limit?: number): Stage {
  const keys = Object.entries(spec).map(([k, dir]) => {
    if (dir !== 1 && dir !== -1) throw new Unsupported("$sort meta");
    return [k.split("."), dir] as const;
  });
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) throw badValue("the limit must be positive");
  return plain((docs) => {
    if (!diskUseAllowed()) {
      const budget = new MemoryBudget(() => blockingStageTooLarge("$sort"));
      const held = limit === undefined ? docs.length : Math.min(limit, docs.length);
      // A top-k sort holds k documents: count the average document k times.
      const sample = Math.min(docs.length, 1000);
      let bytes = 0;
      for (let i = 0; i < sample; i++) bytes += approxBsonSize(docs[Math.floor((i * docs.length) / sample)]);
      if (sample > 0) budget.add((bytes / sample) * held);
    }
    const input = engineLimits().shuffleUnordered ? shuffleInPlace(docs.slice()) : docs.slice();
    const numeric = keys.length === 1 ? numericOrder(input, keys[0]![0], keys[0]![1]) : undefined;
    if (numeric) return limit === undefined ? numeric : numeric.slice(0, limit);
    // Each document's sort keys once (decorate, sort, undecorate).
    const decorated = input.map((d) => ({ d, k: keys.map(([path, dir]) => sortKey(fieldPath(d, path), dir)) }));
    decorated.sort((a, b) => {
      tick();
      for (let i = 0; i < keys.length; i++) {
        const c = compareSortKeys(a.k[i], b.k[i]);
        if (c !== 0) return c * keys[i]![1];
      }
      return 0;
    });
    const sorted = decorated.map((x) => x.d);
    return limit === undefined ? sorted : sorted.slice(0, limit);
  });
}

/** `$sort` and `$unwind` with MongoDB's semantics, for the mingo fallback (see operators.ts). */
export function sortDocuments(docs: Doc[], spec: Doc): Doc[] {
  return drain(compileSort(spec)(docs));
}

/**
 * A single-key sort where every key is a plain number (the usual case: values, counts, times as
 * numbers): indices ordered by a Float64Array, ties in input order. Undefined when any key is not.
 */
function numericOrder(docs: readonly Doc[], path: readonly string[], dir: number): Doc[] | undefined {
  const n = docs.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = fieldPath(docs[i], path);
    if (typeof v !== "number" || Number.isNaN(v)) return undefined;
    keys[i] = v;
  }
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort(dir > 0 ? (a, b) => keys[a]! - keys[b]! || a - b : (a, b) => keys[b]! - keys[a]! || a - b);
  const out = new Array<Doc>(n);
  for (let i = 0; i < n; i++) out[i] = docs[order[i]!]!;
  return out;
}

/** Sorts below null and missing: an empty array, as MongoDB sorts it in either direction. */
const EMPTY_ARRAY = Symbol("empty array");

/**
 * A value's sort key as MongoDB takes it: an array sorts by its smallest element ascending and its
 * largest descending; an empty array before null and missing (after them, descending).
 */
function sortKey(v: unknown, dir: number): unknown {
  if (!Array.isArray(v)) return v === undefined ? null : v;
  if (v.length === 0) return EMPTY_ARRAY;
  let best: unknown = v[0] === undefined ? null : v[0];
  for (let i = 1; i < v.length; i++) {
    const x = v[i] === undefined ? null : v[i];
    if (compareValues(x, best) * dir < 0) best = x;
  }
  return best;
}

function compareSortKeys(a: unknown, b: unknown): number {
  // Two plain numbers (the common case, NaN aside) compare directly.
  if (typeof a === "number" && typeof b === "number" && !Number.isNaN(a) && !Number.isNaN(b)) return a - b;
  if (a === EMPTY_ARRAY || b === EMPTY_ARRAY) return a === b ? 0 : a === EMPTY_ARRAY ? -1 : 1;
  return compareValues(a, b);
}

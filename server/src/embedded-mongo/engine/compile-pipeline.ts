import type { Document } from "bson";
import { compareValues } from "./bson-order.js";
import { Unsupported, compileExpr, fieldPath, type Doc, type Expr, type Vars } from "./compile-expr.js";
import { MemoryBudget, approxBsonSize, blockingStageTooLarge, engineLimits, shuffleInPlace } from "./limits.js";
import { noteFallback } from "./fallback.js";
import { accumulator } from "./accumulators.js";
import { compileMatch } from "./compile-match.js";
import { checkDeadline, diskUseAllowed, tick } from "./deadline.js";
import { badValue, locationError } from "./errors.js";
import { valueKey } from "./keys.js";

/**
 * A compiled stage. It is a generator so that a long read can run in slices: it yields (nothing)
 * whenever `tick()` reports the slice used up, and returns its output documents. Driven to the end
 * without pausing, it is an ordinary synchronous function.
 */
type Stage = (docs: Doc[]) => Generator<void, Doc[], void>;

/** Runs a sliced computation to its end without pausing (pipeline updates, tests). */
export function drain<T>(gen: Generator<void, T, void>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** A stage whose work is small or cannot pause (a sort, a slice): wrapped as a generator. */
function plain(f: (docs: Doc[]) => Doc[]): Stage {
  // biome-ignore lint/correctness/useYield: a stage is a generator even when it never pauses.
  return function* (docs) {
    return f(docs);
  };
}

/** The variables of a top-level expression: none. Shared, and frozen because scopes copy before adding. */
const NO_VARS: Vars = Object.freeze({});

/**
 * Runs a pipeline with compiled closures for the stages Tally's queries use ($match, $project, $set,
 * $addFields, $group, $sort, $unwind, $limit, $skip, $count, $facet), one pass each. At the first stage
 * (or operator) it does not cover, the rest of the pipeline goes to `fallback` (mingo) — same results,
 * only slower.
 */
export function runCompiled(
  docs: Doc[],
  stages: readonly Document[],
  fallback: (docs: Doc[], rest: Document[]) => Doc[],
): Doc[] {
  return drain(runCompiledSliced(docs, stages, fallback));
}

/** {@link runCompiled} in slices: yields whenever the current slice is used up (see deadline.ts). */
export function* runCompiledSliced(
  docs: Doc[],
  stages: readonly Document[],
  fallback: (docs: Doc[], rest: Document[]) => Doc[],
): Generator<void, Doc[], void> {
  let cur = docs;
  const pipeline = coalesceMatches(stages);
  for (let i = 0; i < pipeline.length; i++) {
    let stage: Stage;
    try {
      const next = pipeline[i + 1];
      // $sort then $limit is one top-k sort, as mongod coalesces them: it holds k documents.
      const after = pipeline[i + 2];
      if (pipeline[i]!.$sort && next && Object.keys(next).length === 1 && typeof next.$limit === "number") {
        stage = compileSort(pipeline[i]!.$sort as Doc, next.$limit);
        i++;
      } else if (
        pipeline[i]!.$sort &&
        next &&
        typeof next.$skip === "number" &&
        after &&
        Object.keys(after).length === 1 &&
        typeof after.$limit === "number"
      ) {
        // $sort, $skip s, $limit l: a top-(s+l) sort, then the skip (mongod's own rewrite).
        const skip = next.$skip;
        const sort = compileSort(pipeline[i]!.$sort as Doc, skip + after.$limit);
        stage = function* (docs) {
          return (yield* sort(docs)).slice(skip);
        };
        i += 2;
      } else stage = compileStage(pipeline[i]!, fallback);
    } catch (e) {
      if (e instanceof Unsupported) {
        noteFallback(e.message || Object.keys(pipeline[i]!)[0]!);
        return fallback(cur, pipeline.slice(i) as Document[]);
      }
      throw e;
    }
    checkDeadline();
    cur = yield* stage(cur);
  }
  return cur;
}

/** Consecutive `$match` stages as one `$and` (one pass instead of one per stage), as mongod's optimizer does. */
function coalesceMatches(pipeline: readonly Document[]): Document[] {
  const out: Document[] = [];
  for (const stage of pipeline) {
    const prev = out.at(-1);
    if (prev && isMatchStage(prev) && isMatchStage(stage))
      out[out.length - 1] = { $match: { $and: [prev.$match, stage.$match] } };
    else out.push(stage);
  }
  return out;
}

/** A `{$match: {...}}` stage and nothing else. */
export function isMatchStage(stage: Document): boolean {
  const m = stage.$match;
  return Object.keys(stage).length === 1 && m !== null && typeof m === "object" && !Array.isArray(m);
}

function compileStage(stage: Document, fallback: (docs: Doc[], rest: Document[]) => Doc[]): Stage {
  const name = Object.keys(stage)[0]!;
  const spec = stage[name];
  switch (name) {
    case "$match": {
      const p = compileMatch(spec as Doc);
      return function* (docs) {
        const out: Doc[] = [];
        for (let i = 0; i < docs.length; i++) {
          if (tick()) yield;
          const d = docs[i]!;
          if (p(d)) out.push(d);
        }
        return out;
      };
    }
    case "$set":
    case "$addFields":
      return compileSet(spec as Doc);
    case "$project":
      return compileProject(spec as Doc);
    case "$group":
      return compileGroup(spec as Doc);
    case "$sort":
      return compileSort(spec as Doc);
    case "$limit": {
      const n = Number(spec);
      if (!Number.isInteger(n) || n <= 0) throw badValue("the limit must be positive");
      return plain((docs) => docs.slice(0, n));
    }
    case "$skip": {
      const n = Number(spec);
      if (!Number.isInteger(n) || n < 0) throw badValue("invalid argument to $skip stage");
      return plain((docs) => docs.slice(n));
    }
    case "$count": {
      if (typeof spec !== "string" || spec === "" || spec.includes(".") || spec.startsWith("$"))
        throw badValue("the count field must be a non-empty string");
      return plain((docs) => (docs.length === 0 ? [] : [{ [spec]: docs.length }]));
    }
    case "$unwind":
      return compileUnwind(spec);
    case "$setWindowFields":
      return compileWindowRanks(spec as Doc);
    case "$facet": {
      const branches = Object.entries(spec as Doc).map(([k, p]) => [k, p as Document[]] as const);
      return function* (docs) {
        const out: Doc = {};
        for (const [k, p] of branches) out[k] = yield* runCompiledSliced(docs, p, fallback);
        return [out];
      };
    }
    default:
      throw new Unsupported(name);
  }
}

/**
 * `$sort` (with `limit`: a top-k sort). Without allowDiskUse the documents it holds count against
 * the memory limit; in the test mode ties come out in random order (the sort is stable, so the input
 * is shuffled first), as MongoDB leaves their order unspecified.
 */
function compileSort(spec: Doc, limit?: number): Stage {
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

/** `$unwind` with MongoDB's semantics, for the mingo fallback. */
export function unwindDocuments(docs: Doc[], spec: unknown): Doc[] {
  return drain(compileUnwind(spec)(docs));
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

/**
 * `$setWindowFields` with the rank functions (`$documentNumber`, `$rank`, `$denseRank`) over
 * `sortBy`, optionally per `partitionBy`: what needs no window. Anything else goes to mingo.
 */
function compileWindowRanks(spec: Doc): Stage {
  const sortBy = spec.sortBy as Doc | undefined;
  if (!sortBy || typeof sortBy !== "object")
    throw locationError(5339902, "$setWindowFields with a rank function requires a sortBy");
  const outputs = Object.entries((spec.output ?? {}) as Doc).map(([k, v]) => {
    const op = v !== null && typeof v === "object" ? Object.keys(v as Doc)[0] : undefined;
    if ((op !== "$documentNumber" && op !== "$rank" && op !== "$denseRank") || Object.keys(v as Doc).length !== 1)
      throw new Unsupported("$setWindowFields output");
    return [k.split("."), op] as const;
  });
  const partition = spec.partitionBy === undefined ? undefined : compileExpr(spec.partitionBy);
  const sortKeys = Object.entries(sortBy).map(([k]) => k.split("."));
  const sort = compileSort(partition ? { __partition: 1, ...sortBy } : sortBy);
  const needsTies = outputs.some(([, op]) => op !== "$documentNumber");
  return function* (docs) {
    const keyed = partition ? docs.map((d) => ({ ...d, __partition: partition(d, NO_VARS) ?? null })) : docs;
    const sorted = yield* sort(keyed);
    const out: Doc[] = new Array<Doc>(sorted.length);
    let part: string | undefined;
    let n = 0;
    let rank = 0;
    let dense = 0;
    let prev: unknown[] | undefined;
    for (let i = 0; i < sorted.length; i++) {
      if (tick()) yield;
      let d = sorted[i]!;
      const p = partition ? valueKey(d.__partition) : "";
      if (p !== part) {
        part = p;
        n = 0;
        rank = 0;
        dense = 0;
        prev = undefined;
      }
      n++;
      if (needsTies) {
        const key = sortKeys.map((path) => fieldPath(d, path));
        const tie = prev !== undefined && key.every((v, j) => compareValues(v, prev![j]) === 0);
        if (!tie) {
          rank = n;
          dense++;
        }
        prev = key;
      }
      // One copy per document (it may be a stored one); the partition key is dropped from it.
      d = { ...d };
      if (partition) delete d.__partition;
      for (const [path, op] of outputs) {
        const v = op === "$documentNumber" ? n : op === "$rank" ? rank : dense;
        if (path.length === 1) d[path[0]!] = v;
        else d = setPath(d, path, v);
      }
      out[i] = d;
    }
    return out;
  };
}

/** `$unwind`, with `includeArrayIndex` and `preserveNullAndEmptyArrays`. */
function compileUnwind(spec: unknown): Stage {
  const opts = (typeof spec === "string" ? { path: spec } : spec) as Doc;
  const path = opts.path;
  if (typeof path !== "string" || !path.startsWith("$"))
    throw locationError(28812, "no path specified to $unwind stage");
  if (Object.keys(opts).some((k) => k !== "path" && k !== "includeArrayIndex" && k !== "preserveNullAndEmptyArrays"))
    throw new Unsupported("$unwind options");
  const index = typeof opts.includeArrayIndex === "string" ? opts.includeArrayIndex.split(".") : undefined;
  const preserve = opts.preserveNullAndEmptyArrays === true;
  const parts = path.slice(1).split(".");
  return function* (docs) {
    const out: Doc[] = [];
    for (const d of docs) {
      if (tick()) yield;
      const v = fieldPath(d, parts);
      if (Array.isArray(v) && v.length > 0) {
        for (let i = 0; i < v.length; i++) {
          const u = setPath(d, parts, v[i]);
          out.push(index ? setPath(u, index, i) : u);
        }
      } else if (v !== undefined && v !== null && !Array.isArray(v)) out.push(index ? setPath(d, index, null) : d);
      else if (preserve) {
        const u = Array.isArray(v) ? setPath(d, parts, undefined) : d;
        out.push(index ? setPath(u, index, null) : u);
      }
    }
    return out;
  };
}

/** A copy of `doc` with `parts` set to `value` (copying only the objects on the path). */
function setPath(doc: Doc, parts: readonly string[], value: unknown): Doc {
  const out: Doc = { ...doc };
  let cur = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]!];
    const copy: Doc =
      next !== null && typeof next === "object" && !Array.isArray(next) && !(next instanceof Date)
        ? { ...(next as Doc) }
        : {};
    cur[parts[i]!] = copy;
    cur = copy;
  }
  if (value === undefined) delete cur[parts.at(-1)!];
  else cur[parts.at(-1)!] = value;
  return out;
}

function compileSet(spec: Doc): Stage {
  const fields = Object.entries(spec).map(([k, v]) => [k.split("."), compileExpr(v)] as const);
  return function* (docs) {
    const result: Doc[] = new Array<Doc>(docs.length);
    for (let i = 0; i < docs.length; i++) {
      if (tick()) yield;
      const d = docs[i]!;
      // One shallow copy per document (the input may be a stored document); nested paths copy
      // only the objects along their way.
      let out: Doc = { ...d };
      for (const [parts, f] of fields) {
        const v = f(d, NO_VARS);
        if (parts.length === 1) {
          if (v === undefined) delete out[parts[0]!];
          else out[parts[0]!] = v;
        } else out = setPath(out, parts, v);
      }
      result[i] = out;
    }
    return result;
  };
}

function compileProject(spec: Doc): Stage {
  const entries = Object.entries(spec);
  const isFlag = (v: unknown) => v === 0 || v === 1 || v === true || v === false;
  const excluded = entries.filter(([k, v]) => k !== "_id" && (v === 0 || v === false));
  // `{_id: 0}` alone is an exclusion too: every other field stays.
  const onlyIdExcluded =
    entries.length === 1 && entries[0]![0] === "_id" && (entries[0]![1] === 0 || entries[0]![1] === false);
  if (excluded.length || onlyIdExcluded) {
    if (entries.some(([k, v]) => k !== "_id" && !(v === 0 || v === false))) throw new Unsupported("mixed projection");
    const paths = entries.filter(([, v]) => v === 0 || v === false).map(([k]) => k.split("."));
    return function* (docs) {
      const result: Doc[] = new Array<Doc>(docs.length);
      for (let i = 0; i < docs.length; i++) {
        if (tick()) yield;
        result[i] = paths.reduce((acc, p) => setPath(acc, p, undefined), docs[i]!);
      }
      return result;
    };
  }
  const keepId = !entries.some(([k, v]) => k === "_id" && (v === 0 || v === false));
  const idExpr = entries.find(([k, v]) => k === "_id" && !isFlag(v));
  const parts: [string[], Expr | "include"][] = [];
  for (const [k, v] of entries) {
    if (k === "_id") continue;
    if (v === 1 || v === true) parts.push([k.split("."), "include"]);
    else parts.push([k.split("."), compileExpr(v)]);
  }
  const id = idExpr ? compileExpr(idExpr[1]) : undefined;
  return function* (docs) {
    const result: Doc[] = new Array<Doc>(docs.length);
    for (let i = 0; i < docs.length; i++) {
      if (tick()) yield;
      const d = docs[i]!;
      let out: Doc = {};
      if (id) out._id = id(d, NO_VARS);
      else if (keepId && d._id !== undefined) out._id = d._id;
      for (const [p, f] of parts) {
        const v = f === "include" ? fieldPath(d, p) : f(d, NO_VARS);
        if (v === undefined) continue;
        if (p.length === 1) out[p[0]!] = v;
        else out = setPath(out, p, v);
      }
      result[i] = out;
    }
    return result;
  };
}

function compileGroup(spec: Doc): Stage {
  if (!("_id" in spec)) throw badValue("a group specification must include an _id");
  const id = compileExpr(spec._id);
  const accs = Object.entries(spec)
    .filter(([k]) => k !== "_id")
    .map(([k, v]) => [k, accumulator(v)] as const);
  return function* (docs) {
    const groups = new Map<string, { id: unknown; states: unknown[] }>();
    // Without allowDiskUse the groups (keys and states) count against the memory limit.
    const budget = diskUseAllowed() ? undefined : new MemoryBudget(() => blockingStageTooLarge("$group"));
    for (const d of docs) {
      if (tick()) yield;
      const key = id(d, NO_VARS);
      const k = valueKey(key === undefined ? null : key);
      let g = groups.get(k);
      if (!g) {
        g = { id: key === undefined ? null : key, states: accs.map(([, a]) => a.init(budget)) };
        groups.set(k, g);
        budget?.add(approxBsonSize(g.id) + 16 * accs.length);
      }
      for (let i = 0; i < accs.length; i++) accs[i]![1].step(g.states[i], d);
    }
    const out: Doc[] = [];
    for (const g of groups.values()) {
      const row: Doc = { _id: g.id };
      for (const [i, [k, a]] of accs.entries()) row[k] = a.done(g.states[i]);
      out.push(row);
    }
    return engineLimits().shuffleUnordered ? shuffleInPlace(out) : out;
  };
}

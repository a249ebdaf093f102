import type { Document } from "bson";
import { Unsupported, setOwnField, type Doc } from "./compile-expr.js";
import { noteFallback } from "./fallback.js";
import { compileFusedGroup, fusableAt, fusedRun } from "./codegen/fused-group.js";
import { compileGroup } from "./stages/group.js";
import { compileProject, compileSet } from "./stages/reshape.js";
import { compileSort } from "./stages/sort.js";
import { type Stage, drain, plain } from "./stages/stage.js";
import { compileUnwind } from "./stages/unwind.js";
import { compileNumberedPicks, compileWindowRanks, numberedPicks } from "./stages/window.js";
import { compileMatch } from "./compile-match.js";
import { generateMatch } from "./codegen/match-source.js";
import { engineLimits } from "./limits.js";
import { checkDeadline, tick } from "./deadline.js";
import { badValue } from "./errors.js";

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
      const fusable = fusableAt(pipeline, i);
      const fused = fusable && compileFusedGroup(fusable.fused);
      const picks =
        pipeline[i]!.$setWindowFields && next && isMatchStage(next)
          ? numberedPicks(pipeline[i]!.$setWindowFields as Doc, next.$match as Doc)
          : undefined;
      if (fused) {
        stage = fused;
        i += fusable.count - 1;
      } else if (picks) {
        // Numbered, then matched by number: only the picked positions are numbered.
        stage = compileNumberedPicks(picks);
        i++;
      } else if (pipeline[i]!.$sort && next && Object.keys(next).length === 1 && typeof next.$limit === "number") {
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
      const p = (engineLimits().generateLoops && generateMatch(spec as Doc)) || compileMatch(spec as Doc);
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
    case "$facet":
      return compileFacet(spec as Doc, fallback);
    default:
      throw new Unsupported(name);
  }
}

/**
 * `$facet`: the branches that start with a fusable `$group` read the input together, in one generated
 * loop (as one hand-written pass would); each branch then runs the rest of its stages on its groups.
 */
function compileFacet(spec: Doc, fallback: (docs: Doc[], rest: Document[]) => Doc[]): Stage {
  const branches = Object.entries(spec).map(([k, p]) => [k, p as Document[]] as const);
  const heads = branches.map(([, p]) => fusableAt(p, 0));
  const candidates = heads.flatMap((h, j) => (h ? [j] : []));
  const run = candidates.length ? fusedRun(candidates.map((j) => heads[j]!.fused)) : undefined;
  // Branch index → its place among the fused groups.
  const place = new Map(run?.fused.map((c, at) => [candidates[c]!, at]));
  return function* (docs) {
    const grouped = run ? yield* run.groups(docs) : [];
    const out: Doc = {};
    for (const [j, [k, p]] of branches.entries()) {
      const at = place.get(j);
      const rows =
        at !== undefined
          ? yield* runCompiledSliced(grouped[at]!, p.slice(heads[j]!.count), fallback)
          : yield* runCompiledSliced(docs, p, fallback);
      setOwnField(out, k, rows);
    }
    return [out];
  };
}

export { drain } from "./stages/stage.js";
export { sortDocuments } from "./stages/sort.js";
export { unwindDocuments } from "./stages/unwind.js";

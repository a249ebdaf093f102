import type { Document } from "bson";
import { Aggregator } from "mingo/aggregator";
import { ProcessingMode } from "mingo/core";
import { Query } from "mingo/query";
import type { Options } from "mingo/types";
import { engineContext } from "./operators.js";
import { Unsupported, type Doc } from "./compile-expr.js";
import { compileMatch } from "./compile-match.js";
import { ticking } from "./deadline.js";
import { drain, runCompiledSliced } from "./compile-pipeline.js";
import { badValue } from "./errors.js";
import { noteFallback } from "./fallback.js";
import type { Store } from "./database.js";

/** Stages the embedded engine refuses: they write or reach outside (Tally never sends them). */
const refusedStages = new Set(["$out", "$merge", "$currentOp", "$listSessions", "$changeStream"]);

/** mingo options with Tally's operator fixes and server-side JavaScript disabled. */
export function engineOptions(store: Store, db: string): Partial<Options> {
  return {
    context: engineContext,
    scriptEnabled: false,
    useStrictMode: true,
    processingMode: ProcessingMode.CLONE_OFF,
    collectionResolver: (name: string) => store.collection(db, name, false)?.snapshot() ?? [],
    variables: { NOW: new Date() },
  };
}

/** A predicate for a query filter: compiled, or mingo's for what the compiler does not cover. */
export function matcher(filter: Document | undefined, opts: Partial<Options>): (doc: Document) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  assertNoScript(filter);
  try {
    return compileMatch(filter as Doc);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    noteFallback(e.message || "query operator");
  }
  const q = new Query(filter, opts);
  return (doc) => q.test(doc);
}

/**
 * A `find` as the pipeline mongod runs for it (filter, sort, skip, limit, projection), so it takes the
 * compiled engine, its limits and its test mode too; only what the compiled engine does not cover
 * (find-only projections such as `$elemMatch`) goes to mingo.
 */
export function runFind(
  docs: Document[],
  cmd: { filter?: Document; sort?: Document; projection?: Document; skip?: number; limit?: number },
  opts: Partial<Options>,
): Document[] {
  assertNoScript(cmd.filter);
  const stages: Document[] = [];
  if (cmd.filter && Object.keys(cmd.filter).length) stages.push({ $match: cmd.filter });
  if (cmd.sort && Object.keys(cmd.sort).length) stages.push({ $sort: cmd.sort });
  if (cmd.skip) stages.push({ $skip: cmd.skip });
  if (cmd.limit) stages.push({ $limit: Math.abs(cmd.limit) });
  if (cmd.projection && Object.keys(cmd.projection).length) stages.push({ $project: cmd.projection });
  return drain(
    runCompiledSliced(docs as Doc[], stages, (rest, remaining) => {
      // mingo's find for the remainder keeps find's own projection rules.
      const project = remaining.find((st) => st.$project)?.$project as Document | undefined;
      const pipeline = remaining.filter((st) => !st.$project);
      const out = pipeline.length ? (new Aggregator(pipeline, opts).run(ticking(rest)) as Document[]) : rest;
      return (project ? new Query({}, opts).find(out, project).all() : out) as Doc[];
    }),
  ) as Document[];
}

/** Runs a pipeline to its end (no slicing). */
export function runPipeline(docs: Document[], pipeline: Document[], opts: Partial<Options>): Document[] {
  return drain(runPipelineSliced(docs, pipeline, opts));
}

/** {@link runPipeline} as a sliced computation: yields whenever the current slice is used up. */
export function runPipelineSliced(
  docs: Document[],
  pipeline: Document[],
  opts: Partial<Options>,
): Generator<void, Document[], void> {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (!name || Object.keys(stage).length !== 1)
      throw badValue("A pipeline stage specification object must contain exactly one field.");
    if (refusedStages.has(name)) throw badValue(`${name} is not supported by the embedded database`);
  }
  assertNoScript(pipeline);
  return runCompiledSliced(
    docs as Doc[],
    pipeline,
    (rest, stages) => new Aggregator(stages, opts).run(ticking(rest)) as Doc[],
  ) as Generator<void, Document[], void>;
}

/** `$where`, `$function` and `$accumulator` run JavaScript; refused as a server with scripting off does. */
function assertNoScript(v: unknown): void {
  if (v === null || typeof v !== "object") return;
  if (Array.isArray(v)) {
    for (const x of v) assertNoScript(x);
    return;
  }
  if (v.constructor !== Object) return;
  for (const [k, x] of Object.entries(v)) {
    if (k === "$where" || k === "$function" || k === "$accumulator") {
      throw badValue(`${k} is not allowed: server-side JavaScript is disabled`);
    }
    assertNoScript(x);
  }
}

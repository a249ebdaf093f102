import type { Document } from "bson";
import { Unsupported, setOwnField, type Doc } from "../compile-expr.js";
import { tickMany } from "../deadline.js";
import { engineLimits } from "../limits.js";
import { GroupTable, groupAccumulators } from "../stages/group.js";
import type { Acc } from "../accumulators.js";
import { NO_VARS, type Stage } from "../stages/stage.js";
import { MAX_SOURCE_CHARS, NotGenerated, SourceBuilder, instantiate } from "./builder.js";
import { matchSource } from "./match-source.js";
import { DOC_SCOPE, type Scope, exprSource } from "./expr-source.js";
import { valueKey } from "../keys.js";

/**
 * `[$match] [$project | $set | $addFields] $group` as one generated loop: each document is matched,
 * its projected fields computed into locals (no projected document is built) and folded into its
 * group, in one pass. The loop's source comes from the pipeline's shape only — every field name and
 * value reaches it as data (see SourceBuilder) — and is compiled once per shape, so a dashboard's
 * repeated query runs code V8 has already optimized.
 */
export interface FusedGroup {
  readonly match?: Doc;
  readonly reshape?: { readonly op: string; readonly spec: Doc };
  readonly group: Doc;
}

/** Accumulators folded per generated function (see SourceBuilder.fn). */
const ACCS_PER_FUNCTION = 8;
/** Time per call of the generated loop; the deadline and the slice are checked between calls. */
const CHUNK_MS = 0.5;

/** The stages at `i` of `pipeline` that fuse, and how many they are; undefined if none do. */
export function fusableAt(pipeline: readonly Document[], i: number): { fused: FusedGroup; count: number } | undefined {
  let j = i;
  const match = isOnly(pipeline[j], "$match") ? (pipeline[j++]!.$match as Doc) : undefined;
  const op = ["$project", "$set", "$addFields"].find((o) => isOnly(pipeline[j], o));
  const reshape = op ? { op, spec: pipeline[j++]![op] as Doc } : undefined;
  if (!isOnly(pipeline[j], "$group")) return undefined;
  return { fused: { match, reshape, group: pipeline[j]!.$group as Doc }, count: j - i + 1 };
}

function isOnly(stage: Document | undefined, name: string): boolean {
  if (!stage || Object.keys(stage).length !== 1) return false;
  const spec = stage[name];
  return spec !== null && typeof spec === "object" && !Array.isArray(spec);
}

/**
 * A fused loop's source (from the pipeline's shape), the data it binds, which of the groups asked for
 * it folds (`fused`, indices), and each one's accumulators.
 */
export interface GeneratedLoop {
  readonly source: string;
  readonly data: readonly unknown[];
  readonly fused: readonly number[];
  readonly accs: readonly ReturnType<typeof groupAccumulators>[];
}

/** A generated loop over `docs[from, to)`, folding each document into the tables (one per fused group). */
type Step = (docs: Doc[], from: number, to: number, tables: GroupTable[]) => void;

/**
 * Generates one loop folding each document into every one of `fs` that fuses (the branches of a
 * `$facet` read their input once; a branch that does not fuse is left out and runs by itself);
 * undefined when none does, or the source would pass its limit.
 */
export function generateFusedGroups(fs: readonly FusedGroup[]): GeneratedLoop | undefined {
  const b = new SourceBuilder();
  const blocks: string[] = [];
  const fused: number[] = [];
  const accs: ReturnType<typeof groupAccumulators>[] = [];
  for (const [j, f] of fs.entries()) {
    try {
      const g = groupBody(f, b, `break g${fused.length};`, `tables[${fused.length}]`);
      blocks.push(`g${fused.length}: {\n      ${g.body.join("\n      ")}\n    }`);
      fused.push(j);
      accs.push(g.accs);
    } catch (e) {
      if (!(e instanceof NotGenerated || e instanceof Unsupported)) throw e;
    }
  }
  if (!fused.length) return undefined;
  const vars = b.helper(NO_VARS);
  const { bindings, temps } = b.prelude();
  const source = `"use strict"; ${bindings} const v = ${vars};
return function step(docs, from, to, tables) {
  ${temps}
  for (let i = from; i < to; i++) {
    const d = docs[i];
    ${blocks.join("\n    ")}
  }
};`;
  return source.length > MAX_SOURCE_CHARS ? undefined : { source, data: b.data, fused, accs };
}

/** One fused group's statements for the document `d`: `skip` leaves them, `table` names its GroupTable. */
function groupBody(f: FusedGroup, b: SourceBuilder, skip: string, table: string) {
  const accs = groupAccumulators(f.group);
  const body: string[] = [];
  if (f.match) body.push(`if (!(${matchSource(f.match, b)})) ${skip}`);
  const scope = f.reshape ? reshapeLocals(f.reshape.op, f.reshape.spec, b, body) : DOC_SCOPE;
  body.push(`const s = ${groupLookup(f.group._id, b, scope, table)}.states;`);
  const steps = accs.map(([, a], i) => accumulatorStep(a, i, b, scope));
  if (steps.length <= ACCS_PER_FUNCTION) body.push(...steps.flat());
  else {
    const params = ["d", "s", ...scope.locals.values()];
    for (let i = 0; i < steps.length; i += ACCS_PER_FUNCTION)
      body.push(`${b.fn(params, steps.slice(i, i + ACCS_PER_FUNCTION).flat())}(${params.join(", ")});`);
  }
  return { body, accs };
}

/** Statements folding the document into accumulator `i` of the group whose states are `s`. */
function accumulatorStep(a: Acc, i: number, b: SourceBuilder, scope: Scope): string[] {
  const e = a.expression;
  if (e?.numberStep) {
    // A number takes the accumulator's own step inline (its template names no pipeline value).
    const x = b.temp();
    const acc = b.value(e);
    const step = e.numberStep.replaceAll("@s", `s[${i}]`).replaceAll("@x", x).replaceAll("@a", acc);
    return [
      `${x} = ${exprSource(e.spec, b, scope)};`,
      `if (typeof ${x} === "number") { ${step} } else ${acc}.add(s[${i}], ${x});`,
    ];
  }
  if (e) return [`${b.value(e)}.add(s[${i}], ${exprSource(e.spec, b, scope)});`];
  if (scope === DOC_SCOPE) return [`${b.value(a)}.step(s[${i}], d);`];
  throw new NotGenerated();
}

/**
 * The group of the document's `_id`. A document of fields (`{date: …, label: …}`) is keyed by its
 * canonical key built from the field values (what `valueKey` gives for the document), and the
 * document itself is only built for a new group.
 */
function groupLookup(id: unknown, b: SourceBuilder, scope: Scope, table: string): string {
  const keys =
    id !== null && typeof id === "object" && !Array.isArray(id) && !(id instanceof Date) ? Object.keys(id) : [];
  // Array-index names come first in a JavaScript object's own order: left to valueKey itself.
  if (
    !keys.length ||
    keys.some((k) => k.startsWith("$") || /^(0|[1-9]\d*)$/.test(k)) ||
    (id as { _bsontype?: unknown })._bsontype
  )
    return `${table}.get(${exprSource(id, b, scope)})`;
  const vk = b.helper(valueKey);
  const set = b.helper(setOwnField);
  const ts = keys.map(() => b.temp());
  const o = b.temp();
  const k = b.temp();
  const values = keys.map((key, i) => `${ts[i]} = ${exprSource((id as Doc)[key], b, scope)}`);
  const parts = keys.map(
    (key, i) => `(${ts[i]} !== undefined ? ${b.value(`${JSON.stringify(key)}:`)} + ${vk}(${ts[i]}) + "," : "")`,
  );
  const doc = keys.map((key, i) => `${ts[i]} !== undefined && ${set}(${o}, ${b.value(key)}, ${ts[i]})`);
  return `(${values.join(", ")}, ${k} = "{" + ${parts.join(" + ")} + "}", ${table}.find(${k}) ?? ${table}.open(${k}, (${o} = {}, ${doc.join(", ")}, ${o})))`;
}

/** The fused stage, or undefined when some part needs the stages run one by one (or generation is off). */
export function compileFusedGroup(f: FusedGroup): Stage | undefined {
  const run = fusedRun([f]);
  if (!run) return undefined;
  return function* (docs) {
    return (yield* run.groups(docs))[0]!;
  };
}

/** The groups of the fusing ones of some `FusedGroup`s, over the same documents in one pass. */
export interface FusedRun {
  /** Which of the groups asked for are folded (indices), in the order `groups` answers them. */
  readonly fused: readonly number[];
  /** Each fused group's output documents. */
  groups(docs: Doc[]): Generator<void, Doc[][], void>;
}

/** One pass folding every one of `fs` that fuses; undefined when none does (or generation is off). */
export function fusedRun(fs: readonly FusedGroup[]): FusedRun | undefined {
  if (!engineLimits().generateLoops) return undefined;
  const loop = generateFusedGroups(fs);
  if (!loop) return undefined;
  const step = instantiate<Step>(loop.source, loop.data);
  const accs = loop.accs;
  return { fused: loop.fused, groups: run };
  function* run(docs: Doc[]): Generator<void, Doc[][], void> {
    const tables = accs.map((a) => new GroupTable(a));
    // Chunks sized by their time, so that the deadline and the slice are checked about every
    // CHUNK_MS whatever a document costs (one group or thirty branches of a $facet).
    let chunk = 64;
    for (let from = 0; from < docs.length; ) {
      const to = Math.min(docs.length, from + chunk);
      const t0 = performance.now();
      step(docs, from, to, tables);
      const ms = performance.now() - t0;
      if (tickMany(to - from)) yield;
      chunk = ms < CHUNK_MS / 2 ? Math.min(chunk * 2, 16_384) : ms > CHUNK_MS * 2 ? Math.max(chunk >> 1, 1) : chunk;
      from = to;
    }
    return tables.map((t) => t.output());
  }
}

/**
 * The fields a `$project` or `$set` computes, as locals (`const p<i> = …`) appended to `body`; the
 * scope later expressions read them through. Forms that fuse: top-level field names, `$project`'s
 * inclusion (`1`/`true`) and `_id` handling, computed fields. Anything else runs as its own stage.
 */
function reshapeLocals(op: string, spec: Doc, b: SourceBuilder, body: string[]): Scope {
  const entries = Object.entries(spec);
  if (entries.some(([k]) => k.includes(".") || k.startsWith("$") || k === "")) throw new NotGenerated();
  const locals = new Map<string, string>();
  const local = (name: string, source: string) => {
    const p = `p${locals.size}`;
    body.push(`const ${p} = ${source};`);
    locals.set(name, p);
  };
  if (op !== "$project") {
    for (const [k, v] of entries) local(k, exprSource(v, b, DOC_SCOPE));
    return { doc: "d", locals };
  }
  const isOff = (v: unknown) => v === 0 || v === false;
  const isFlag = (v: unknown) => isOff(v) || v === 1 || v === true;
  // An exclusion projection keeps every other field: not a set of locals.
  if (entries.some(([k, v]) => k !== "_id" && isOff(v)) || entries.every(([k, v]) => k === "_id" && isOff(v)))
    throw new NotGenerated();
  const id = entries.find(([k]) => k === "_id");
  if (!id) local("_id", exprSource("$_id", b, DOC_SCOPE));
  else if (!isFlag(id[1])) local("_id", exprSource(id[1], b, DOC_SCOPE));
  else if (!isOff(id[1])) local("_id", exprSource("$_id", b, DOC_SCOPE));
  for (const [k, v] of entries) {
    if (k === "_id") continue;
    local(k, exprSource(v === 1 || v === true ? `$${k}` : v, b, DOC_SCOPE));
  }
  return { doc: undefined, locals };
}

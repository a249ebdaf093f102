import type { Document } from "bson";
import { LRUCache } from "lru-cache";
import { Unsupported, type Doc } from "../compile-expr.js";
import { compileMatch } from "../compile-match.js";
import { tickMany } from "../deadline.js";
import { engineLimits } from "../limits.js";
import { valueKey } from "../keys.js";
import { GroupTable, groupAccumulators } from "../stages/group.js";
import { NO_VARS, type Stage } from "../stages/stage.js";
import { NotGenerated, SourceBuilder } from "./builder.js";
import { DOC_SCOPE, type Scope, exprSource } from "./expr-source.js";

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

/** A generated loop over `docs[from, to)`, folding each into `table`. */
type Step = (docs: Doc[], from: number, to: number, table: GroupTable) => void;

/** Documents per call of the generated loop; the deadline and the slice are checked between calls. */
const CHUNK = 1024;
/** Beyond this much source the stages run one by one (a huge expression would take long to compile). */
const MAX_SOURCE_CHARS = 64 * 1024;
/** Compiled loops by source; a shape is one entry whatever values its queries carry. */
const compiled = new LRUCache<string, (data: unknown[]) => Step>({ max: 256 });

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

/** A fused loop's source (from the pipeline's shape), the data it binds, and the `$group`'s accumulators. */
export interface GeneratedLoop {
  readonly source: string;
  readonly data: readonly unknown[];
  readonly accs: ReturnType<typeof groupAccumulators>;
}

/** Generates the fused loop; undefined when some part needs the stages run one by one. */
export function generateFusedGroup(f: FusedGroup): GeneratedLoop | undefined {
  try {
    const accs = groupAccumulators(f.group);
    const b = new SourceBuilder();
    const body: string[] = [];
    if (f.match) body.push(`if (!${b.value(compileMatch(f.match))}(d)) continue;`);
    const scope = f.reshape ? reshapeLocals(f.reshape.op, f.reshape.spec, b, body) : DOC_SCOPE;
    const key = b.temp();
    const gk = b.temp();
    body.push(`${key} = ${exprSource(f.group._id, b, scope)};`);
    body.push(`${gk} = ${b.helper(valueKey)}(${key} === undefined ? null : ${key});`);
    body.push(`const s = (table.groups.get(${gk}) ?? table.open(${gk}, ${key})).states;`);
    accs.forEach(([, a], i) => {
      if (a.expression) body.push(`${b.value(a.expression)}.add(s[${i}], ${exprSource(a.expression.spec, b, scope)});`);
      else if (scope === DOC_SCOPE) body.push(`${b.value(a)}.step(s[${i}], d);`);
      else throw new NotGenerated();
    });
    const vars = b.helper(NO_VARS);
    const { bindings, temps } = b.prelude();
    const source = `"use strict"; ${bindings} const v = ${vars};
return function step(docs, from, to, table) {
  ${temps}
  for (let i = from; i < to; i++) {
    const d = docs[i];
    ${body.join("\n    ")}
  }
};`;
    return source.length > MAX_SOURCE_CHARS ? undefined : { source, data: b.data, accs };
  } catch (e) {
    if (e instanceof NotGenerated || e instanceof Unsupported) return undefined;
    throw e;
  }
}

/** The fused stage, or undefined when some part needs the stages run one by one (or generation is off). */
export function compileFusedGroup(f: FusedGroup): Stage | undefined {
  if (!engineLimits().generateLoops) return undefined;
  const loop = generateFusedGroup(f);
  if (!loop) return undefined;
  let factory = compiled.get(loop.source);
  if (!factory) {
    factory = new Function("C", loop.source) as (data: unknown[]) => Step;
    compiled.set(loop.source, factory);
  }
  const step = factory(loop.data as unknown[]);
  return function* (docs) {
    const groups = new GroupTable(loop.accs);
    for (let from = 0; from < docs.length; from += CHUNK) {
      const to = Math.min(docs.length, from + CHUNK);
      step(docs, from, to, groups);
      if (tickMany(to - from)) yield;
    }
    return groups.output();
  };
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

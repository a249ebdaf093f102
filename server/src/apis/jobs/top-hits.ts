import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { esError } from "./es-error.js";
import { type FieldInfo, resolveField, schemaFields } from "./fields.js";

/** A field a hit's `_source` shows: its API name (where it sits in `_source`) and its stored path. */
export interface SourceField {
  readonly name: string;
  readonly path: string;
}

/** A validated `top_hits`: what to sort by, how many, and which fields each hit shows (null: none). */
export interface TopHitsSpec {
  readonly kind: "top_hits";
  readonly size: number;
  readonly from: number;
  readonly sort: readonly { readonly field: FieldInfo; readonly desc: boolean }[];
  /** Whether the request named a sort (hits then carry their sort values). */
  readonly sorted: boolean;
  readonly source: readonly SourceField[] | null;
}

/** Elasticsearch's `index.max_inner_result_window`. */
const MAX_WINDOW = 100;
const MAX_SOURCE_PATTERNS = 64;
const attributes: SourceField = { name: "job.attributes", path: "job.attributes" };

type TopHitsValue = Extract<Aggregation["kind"], { case: "topHits" }>["value"];

/** Validates a `top_hits` aggregation with Elasticsearch's messages; every field from the allowlist. */
export function topHitsSpec(name: string, v: TopHitsValue): TopHitsSpec {
  const size = v.size ?? 3;
  if (size < 0 || v.from < 0) throw esError(`[size] and [from] must be non-negative in [${name}]`);
  if (v.from + size > MAX_WINDOW)
    throw esError(
      `Top hits result window is too large, the top hits aggregator [${name}]'s from + size must be less than or equal to: [${MAX_WINDOW}] but was [${v.from + size}]. This limit can be set by changing the [index.max_inner_result_window] index level setting.`,
    );
  if (v.sort.length > 8) throw esError(`[sort] takes at most 8 criteria in [${name}]`);
  const sort = v.sort.map((s) => ({ field: resolveField(s.path), desc: s.desc }));
  return {
    kind: "top_hits",
    size,
    from: v.from,
    sort: sort.length ? sort : [{ field: resolveField("@timestamp"), desc: true }],
    sorted: sort.length > 0,
    source: v.sourceDisabled ? null : sourceFields(v.sourceIncludes, v.sourceExcludes),
  };
}

/** `_source` includes and excludes: exact names, `job.attributes[.<name>]`, or `prefix*` over the schema. */
function sourceFields(includes: readonly string[], excludes: readonly string[]): SourceField[] {
  if (includes.length + excludes.length > MAX_SOURCE_PATTERNS)
    throw esError(`[_source] takes at most ${MAX_SOURCE_PATTERNS} patterns`);
  const all: SourceField[] = [...schemaFields().map(([name, f]) => ({ name, path: f.path })), attributes];
  const matches = (pattern: string, f: SourceField) =>
    pattern.endsWith("*") ? f.name.startsWith(pattern.slice(0, -1)) : f.name === pattern;
  let fields: SourceField[];
  if (includes.length === 0) fields = all;
  else {
    fields = [];
    for (const p of includes) {
      const found = all.filter((f) => matches(p, f));
      if (found.length) fields.push(...found);
      else if (!p.endsWith("*")) fields.push({ name: p.replace(/\.keyword$/, ""), path: resolveField(p).path });
    }
  }
  const kept = fields.filter(
    (f, i) => !excludes.some((p) => matches(p, f)) && fields.findIndex((x) => x.name === f.name) === i,
  );
  // The whole attributes object makes a single attribute redundant (and would clash in the output).
  return kept.some((f) => f.name === attributes.name)
    ? kept.filter((f) => !f.name.startsWith(`${attributes.name}.`))
    : kept;
}

/**
 * The `$topN` accumulator of a top_hits (MongoDB 5.2+): at most from + size jobs per group, by the
 * sort then the job id (a total order), each output as its id, its `_source` and its sort values.
 */
export function topHitsAccumulator(s: TopHitsSpec): Record<string, unknown> {
  const sortBy: Record<string, 1 | -1> = {};
  for (const o of s.sort) sortBy[o.field.path] ??= o.desc ? -1 : 1;
  sortBy.jobId ??= 1;
  return {
    $topN: {
      n: Math.max(1, s.from + s.size),
      sortBy,
      output: {
        id: "$job.id",
        ...(s.source ? { src: sourceExpr(s.source) } : {}),
        s: s.sort.map((o) => `$${o.field.path}`),
      },
    },
  };
}

/** `_source` as a nested expression object: `job.id` → `{job: {id: "$job.id"}}`, `@timestamp` → `"$timestamp"`. */
function sourceExpr(fields: readonly SourceField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const parts = f.name.split(".");
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = `$${f.path}`;
  }
  return out;
}

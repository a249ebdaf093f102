import { esError } from "./es-error.js";

/** How a job field may be used: terms and exact matches (keyword), ranges (date, number). */
export type FieldType = "keyword" | "date" | "number" | "boolean" | "any";

/** A field of the allowlist: its stored path and type. */
export interface FieldInfo {
  /** Path in the stored job document (never user text: fixed, or a checked attribute name). */
  readonly path: string;
  readonly type: FieldType;
}

/** The job schema: every field a request may filter or aggregate on. */
const schema: Readonly<Record<string, FieldInfo>> = {
  application: { path: "application", type: "keyword" },
  app_type: { path: "app_type", type: "keyword" },
  domain: { path: "domain", type: "keyword" },
  region: { path: "region", type: "keyword" },
  eu: { path: "eu", type: "boolean" },
  "@timestamp": { path: "timestamp", type: "date" },
  "job.id": { path: "job.id", type: "keyword" },
  "job.name": { path: "job.name", type: "keyword" },
  "job.state": { path: "job.state", type: "keyword" },
  "job.started_at": { path: "job.started_at", type: "date" },
  "job.finished_at": { path: "job.finished_at", type: "date" },
  "job.duration_ms": { path: "job.duration_ms", type: "number" },
};

const attributeName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Resolves a user-supplied field name through the allowlist. `.keyword` suffixes (Elasticsearch
 * multi-fields) are accepted; `job.attributes.<name>` is allowed for identifier-like names.
 */
export function resolveField(name: string): FieldInfo {
  const bare = name.endsWith(".keyword") ? name.slice(0, -".keyword".length) : name;
  const known = schema[bare];
  if (known) return known;
  if (bare.startsWith("job.attributes.") && attributeName.test(bare.slice("job.attributes.".length))) {
    return { path: bare, type: "any" };
  }
  throw esError(
    `Field [${name}] is not an aggregatable or filterable field of jobs; use one of [${Object.keys(schema).join(", ")}] or job.attributes.<name>`,
  );
}

/** Every named field of the job schema (API name and storage), for `_source` listings. */
export function schemaFields(): readonly (readonly [string, FieldInfo])[] {
  return Object.entries(schema);
}
const numericMetrics = new Set([
  "avg",
  "sum",
  "min",
  "max",
  "stats",
  "extended_stats",
  "percentiles",
  "weighted_avg",
  "percentile_ranks",
  "median_absolute_deviation",
]);

/** The field a metric or bucket aggregation names: required, on the allowlist, numeric where it must be. */
export function requireField(name: string, field: string, kind: string): FieldInfo {
  if (!field) throw esError(`Required one of fields [field, script], but none were specified. in [${name}]`);
  const f = resolveField(field);
  if (numericMetrics.has(kind) && (f.type === "keyword" || f.type === "boolean")) {
    throw esError(`Field [${field}] of type [${f.type}] is not supported for aggregation [${kind}]`);
  }
  return f;
}

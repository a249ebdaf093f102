// Longer than our ~300-line guide on purpose: the settings and the placement/path rules of all twelve
// pipeline aggregations, which share the buckets_path grammar and its validation.
import type { Aggregation } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { AggNode, BucketNode } from "./agg-tree.js";
import { esError } from "./es-error.js";
import { esName, statsValues } from "./es-names.js";
import { type MovingFunction, parseMovingFunction } from "./moving-fn.js";

/**
 * Elasticsearch's pipeline aggregations: computed from other aggregations' results, never from
 * documents, so they add no database work. Sibling ones (`avg_bucket` …) read a value from every
 * bucket of a sibling multi-bucket aggregation; parent ones (`derivative` …) add a value to every bucket
 * of the histogram they sit in; `bucket_sort` reorders and truncates its parent's buckets.
 */

/** How a bucket without a value (no documents, or no number) counts (Elasticsearch's `gap_policy`). */
export type GapPolicy = "skip" | "insert_zeros" | "keep_values";

/**
 * A parsed `buckets_path` relative to a bucket: single-bucket aggregations to step through, then a
 * metric (`name` with an optional value such as `avg` or `99`), or the bucket's `_count` / `_key`.
 */
export interface BucketsPath {
  readonly text: string;
  readonly through: readonly string[];
  readonly last: { readonly special: "_count" | "_key" } | { readonly name: string; readonly value?: string };
}

/** A sibling pipeline's path: the multi-bucket aggregation, then the path within each of its buckets. */
export interface SiblingPath {
  readonly multi: string;
  readonly inner: BucketsPath;
}

/** The kinds of sibling pipeline aggregations. */
export type SiblingKind = "avg_bucket" | "sum_bucket" | "min_bucket" | "max_bucket" | "stats_bucket";

/** A validated pipeline aggregation. */
export type PipelineSpec =
  | { kind: SiblingKind; path: SiblingPath; gap: GapPolicy }
  | { kind: "extended_stats_bucket"; path: SiblingPath; gap: GapPolicy; sigma: number }
  | { kind: "percentiles_bucket"; path: SiblingPath; gap: GapPolicy; percents: number[]; keyed: boolean }
  | { kind: "derivative"; path: BucketsPath; gap: GapPolicy; unitMs: number | undefined }
  | { kind: "cumulative_sum"; path: BucketsPath }
  | { kind: "serial_diff"; path: BucketsPath; gap: GapPolicy; lag: number }
  | { kind: "moving_fn"; path: BucketsPath; gap: GapPolicy; window: number; shift: number; fn: MovingFunction }
  | { kind: "bucket_sort"; sort: { path: BucketsPath; desc: boolean }[]; from: number; size?: number; gap: GapPolicy };

const siblingKinds = new Set([
  "avg_bucket",
  "sum_bucket",
  "min_bucket",
  "max_bucket",
  "stats_bucket",
  "extended_stats_bucket",
  "percentiles_bucket",
]);

/** A sibling pipeline's spec (its path starts at a sibling multi-bucket aggregation). */
export type SiblingSpec = Extract<PipelineSpec, { path: SiblingPath }>;

/** Whether a pipeline reads a sibling's buckets (rather than adding values to its parent's). */
export function isSiblingPipeline(s: PipelineSpec): s is SiblingSpec {
  return siblingKinds.has(s.kind);
}

/** A pipeline aggregation in the request tree (a leaf). */
export interface PipelineNode {
  readonly type: "pipeline";
  readonly id: number;
  readonly name: string;
  readonly spec: PipelineSpec;
}

/** The oneof cases that are pipeline aggregations. */
export const pipelineCases = new Set([
  "avgBucket",
  "sumBucket",
  "minBucket",
  "maxBucket",
  "statsBucket",
  "extendedStatsBucket",
  "percentilesBucket",
  "derivative",
  "cumulativeSum",
  "serialDiff",
  "movingFn",
  "bucketSort",
]);

const gapPolicies: readonly GapPolicy[] = ["insert_zeros", "skip", "keep_values"];
const unitMs: Readonly<Record<string, number>> = {
  "1s": 1_000,
  second: 1_000,
  "1m": 60_000,
  minute: 60_000,
  "1h": 3_600_000,
  hour: 3_600_000,
  "1d": 86_400_000,
  day: 86_400_000,
  "1w": 604_800_000,
  week: 604_800_000,
};

function gapPolicy(text: string): GapPolicy {
  if (text === "") return "skip";
  if (!(gapPolicies as readonly string[]).includes(text))
    throw esError(`Invalid gap policy: [${text.slice(0, 64)}], accepted values: [${gapPolicies.join(", ")}]`);
  return text as GapPolicy;
}

/** Parses `a>b>c.metric`, `a>b[99.9]`, `a>_count`, `_key`. */
export function parseBucketsPath(text: string, name: string): BucketsPath {
  if (text === "") throw esError(`[buckets_path] must be set for aggregation [${name}]`);
  if (text.length > 512) throw esError(`[buckets_path] is too long in [${name}]`);
  const parts = text.split(">");
  const tail = parts.pop()!;
  if (parts.some((p) => p === "") || tail === "") throw esError(`Invalid path element [] in path [${text}]`);
  if (tail === "_count" || tail === "_key") return { text, through: parts, last: { special: tail } };
  const bracket = /^(.+)\[(.+)\]$/.exec(tail);
  if (bracket) return { text, through: parts, last: { name: bracket[1]!, value: bracket[2]! } };
  const dot = tail.indexOf(".");
  if (dot > 0) return { text, through: parts, last: { name: tail.slice(0, dot), value: tail.slice(dot + 1) } };
  return { text, through: parts, last: { name: tail } };
}

type Value<C extends string> = Extract<Aggregation["kind"], { case: C }>["value"];

/** Validates one pipeline aggregation's own settings (its paths are checked against the tree afterwards). */
export function pipelineSpec(name: string, k: Aggregation["kind"]): PipelineSpec {
  switch (k.case) {
    case "avgBucket":
    case "sumBucket":
    case "minBucket":
    case "maxBucket":
    case "statsBucket":
      return {
        kind: esName(k.case) as SiblingKind,
        path: siblingPath(k.value.bucketsPath, name),
        gap: gapPolicy(k.value.gapPolicy),
      };
    case "extendedStatsBucket": {
      const sigma = k.value.sigma ?? 2;
      if (!(sigma >= 0)) throw esError(`[sigma] must be greater than or equal to 0. Found [${sigma}] in [${name}]`);
      return {
        kind: "extended_stats_bucket",
        path: siblingPath(k.value.bucketsPath, name),
        gap: gapPolicy(k.value.gapPolicy),
        sigma,
      };
    }
    case "percentilesBucket":
      return percentilesBucket(name, k.value);
    case "derivative": {
      const unit = k.value.unit === "" ? undefined : unitMs[k.value.unit];
      if (k.value.unit !== "" && unit === undefined)
        throw esError(`Unknown unit [${k.value.unit.slice(0, 64)}] in [${name}]`);
      return {
        kind: "derivative",
        path: parseBucketsPath(k.value.bucketsPath, name),
        gap: gapPolicy(k.value.gapPolicy),
        unitMs: unit,
      };
    }
    case "cumulativeSum":
      return { kind: "cumulative_sum", path: parseBucketsPath(k.value.bucketsPath, name) };
    case "serialDiff": {
      const lag = k.value.lag ?? 1;
      if (!(lag > 0)) throw esError(`[lag] must be a positive integer: [${name}]`);
      return {
        kind: "serial_diff",
        path: parseBucketsPath(k.value.bucketsPath, name),
        gap: gapPolicy(k.value.gapPolicy),
        lag,
      };
    }
    case "movingFn":
      return movingFn(name, k.value);
    case "bucketSort":
      return bucketSort(name, k.value);
    default:
      throw esError(`Unknown aggregation type [${String(k.case)}]`);
  }
}

function siblingPath(text: string, name: string): SiblingPath {
  const path = parseBucketsPath(text, name);
  const [multi, ...through] = path.through;
  if (multi === undefined)
    throw esError(
      `buckets_path must reference a metric inside a multi-bucket aggregation (such as [histo>metric]) for aggregation [${name}], got: [${text}]`,
    );
  return { multi, inner: { text, through, last: path.last } };
}

function percentilesBucket(name: string, v: Value<"percentilesBucket">): PipelineSpec {
  const percents = v.percents.length ? [...v.percents] : [1, 5, 25, 50, 75, 95, 99];
  if (percents.length > 100) throw esError(`[percents] takes at most 100 values in [${name}]`);
  for (const p of percents)
    if (!(p >= 0 && p <= 100)) throw esError(`percent must be in [0,100], got [${p}]: [${name}]`);
  return {
    kind: "percentiles_bucket",
    path: siblingPath(v.bucketsPath, name),
    gap: gapPolicy(v.gapPolicy),
    percents,
    keyed: v.keyed ?? true,
  };
}

function movingFn(name: string, v: Value<"movingFn">): PipelineSpec {
  if (!(v.window > 0)) throw esError(`[window] must be a positive, non-zero integer.`);
  if (v.window > 10_000) throw esError(`[window] must be at most 10000 in [${name}]`);
  if (!v.script) throw esError(`[script] must be set for aggregation [${name}]`);
  return {
    kind: "moving_fn",
    path: parseBucketsPath(v.bucketsPath, name),
    gap: gapPolicy(v.gapPolicy),
    window: v.window,
    shift: v.shift,
    fn: parseMovingFunction(v.script, name),
  };
}

function bucketSort(name: string, v: Value<"bucketSort">): PipelineSpec {
  if (v.from < 0) throw esError(`[from] must be a non-negative integer: [${v.from}]`);
  if (v.size !== undefined && v.size <= 0) throw esError(`[size] must be a positive integer: [${v.size}]`);
  if (v.sort.length > 8) throw esError(`[sort] takes at most 8 criteria in [${name}]`);
  return {
    kind: "bucket_sort",
    sort: v.sort.map((s) => ({ path: parseBucketsPath(s.path, name), desc: s.desc })),
    from: v.from,
    size: v.size,
    gap: gapPolicy(v.gapPolicy),
  };
}

const parentKinds = new Set(["derivative", "cumulative_sum", "serial_diff", "moving_fn"]);
const multiBucketKinds = new Set(["terms", "date_histogram", "histogram", "range", "filters"]);
const extendedValues = new Set([
  ...statsValues,
  "sum_of_squares",
  "variance",
  "variance_population",
  "variance_sampling",
  "std_deviation",
  "std_deviation_population",
  "std_deviation_sampling",
]);

/**
 * Checks where each pipeline aggregation of one level sits and what its paths name, with
 * Elasticsearch's messages: parent pipelines need a histogram parent (min_doc_count 0), `bucket_sort` a
 * multi-bucket parent, sibling pipelines a multi-bucket sibling; every path ends at a number.
 */
export function validatePipelines(siblings: readonly AggNode[], parent: BucketNode | undefined): void {
  for (const n of siblings) {
    if (n.type !== "pipeline") continue;
    const s = n.spec;
    if (parentKinds.has(s.kind)) {
      const kind = s.kind;
      if (!parent)
        throw esError(
          `Validation Failed: 1: ${kind} aggregation [${n.name}] must have a histogram, date_histogram or auto_date_histogram as parent but doesn't have a parent;`,
        );
      if (parent.spec.kind !== "histogram" && parent.spec.kind !== "date_histogram")
        throw esError(
          `Validation Failed: 1: ${kind} aggregation [${n.name}] must have a histogram, date_histogram or auto_date_histogram as parent;`,
        );
      if (parent.spec.minDocCount !== 0)
        throw esError(
          `Validation Failed: 1: parent histogram of ${kind} aggregation [${n.name}] must have min_doc_count of 0;`,
        );
      checkPath((s as { path: BucketsPath }).path, siblings, n);
    } else if (s.kind === "bucket_sort") {
      if (!parent || !multiBucketKinds.has(parent.spec.kind))
        throw esError(
          `Validation Failed: 1: bucket_sort aggregation [${n.name}] must be declared inside of another aggregation;`,
        );
      for (const o of s.sort)
        if (!("special" in o.path.last && o.path.through.length === 0)) checkPath(o.path, siblings, n);
    } else {
      const path = (s as { path: SiblingPath }).path;
      const multi = siblings.find((c) => c.name === path.multi);
      if (!multi) throw esError(`No aggregation found for path [${path.inner.text}]`);
      if (multi.type !== "bucket" || !multiBucketKinds.has(multi.spec.kind))
        throw esError(
          `The first aggregation in buckets_path must be a multi-bucket aggregation for aggregation [${n.name}] found :[${multi.spec.kind}] for buckets path: ${path.inner.text}`,
        );
      checkPath(path.inner, multi.children, n);
    }
  }
}

/** Resolves a path among a bucket's aggregations: it must step through single-bucket ones and end at a number. */
function checkPath(path: BucketsPath, children: readonly AggNode[], owner: PipelineNode): void {
  let level = children;
  for (const name of path.through) {
    const c = level.find((x) => x.name === name);
    if (!c) throw esError(`No aggregation found for path [${path.text}]`);
    if (c.type !== "bucket" || (c.spec.kind !== "filter" && c.spec.kind !== "missing"))
      throw esError(
        `buckets_path must reference either a number value or a single value numeric metric aggregation, got: [${c.spec.kind}] at aggregation [${name}]`,
      );
    level = c.children;
  }
  const last = path.last;
  if ("special" in last) return;
  const target = level.find((x) => x.name === last.name);
  if (!target || target === owner) throw esError(`No aggregation found for path [${path.text}]`);
  if (target.type === "bucket")
    throw esError(
      `buckets_path must reference either a number value or a single value numeric metric aggregation, got: [${target.spec.kind}] at aggregation [${target.name}]`,
    );
  const kind = target.spec.kind;
  if (kind === "top_hits")
    throw esError(
      `buckets_path must reference either a number value or a single value numeric metric aggregation, got: [top_hits] at aggregation [${target.name}]`,
    );
  const values =
    kind === "stats" || kind === "stats_bucket"
      ? statsValues
      : kind === "extended_stats" || kind === "extended_stats_bucket"
        ? extendedValues
        : kind === "percentiles" || kind === "percentiles_bucket"
          ? undefined
          : null;
  if (values === null) {
    if (last.value !== undefined) throw esError(`No aggregation found for path [${path.text}]`);
    return;
  }
  if (last.value === undefined)
    throw esError(
      `buckets_path must reference either a number value or a single value numeric metric aggregation, but [${target.name}] contains multiple values. Please specify which to use.`,
    );
  const ok =
    values === undefined
      ? (target.spec as { percents: number[] }).percents.includes(Number(last.value))
      : values.has(last.value);
  if (!ok) throw esError(`No aggregation found for path [${path.text}]`);
}

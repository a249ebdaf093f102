// Longer than our ~300-line guide on purpose: the planner and the key expression each bucket kind groups
// by belong together (a key's shape decides how its rows are sorted, limited and dropped).
import type { Document } from "mongodb";
import type { AggNode, BucketNode, BucketSpec, MetricNode, TermsOrder } from "./agg-tree.js";
import { esError } from "./es-error.js";
import { dayDividingBins } from "../../platform/time/date-trunc.js";
import { accumulators, deviationMedian } from "./accumulators.js";

/** Aggregations that need a read of their own before or after the plan (MAD, auto_date_histogram). */
const MAX_SECOND_READS = 4;

/** Refuses, before any read, a request with more aggregations needing a read of their own than MAX_SECOND_READS. */
export function assertSecondReads(tree: readonly AggNode[]): void {
  let n = 0;
  const walk = (nodes: readonly AggNode[]) => {
    for (const c of nodes) {
      if (c.type === "metric" && c.spec.kind === "median_absolute_deviation") n++;
      if (c.type === "bucket") {
        if (c.spec.kind === "date_histogram" && c.spec.auto) n++;
        walk(c.children);
      }
    }
  };
  walk(tree);
  if (n > MAX_SECOND_READS)
    throw esError(
      `at most ${MAX_SECOND_READS} median_absolute_deviation and auto_date_histogram aggregations per request (each reads the jobs again)`,
    );
}

/** Rows a single node's `$group` may return before the request is refused as too many buckets. */
export const MAX_GROUP_ROWS = 200_000;

/** The pipeline stages (after the leading `$match`) for every node that needs its own `$group`. */
export interface Plan {
  /** Root: `doc_count` is the exact total; top-level metrics are its accumulators. */
  readonly root: Document[];
  /** Per bucket node id. */
  readonly nodes: ReadonlyMap<number, Document[]>;
  /**
   * Per cardinality metric id: distinct values counted by a second `$group` (`owner` is the bucket
   * node whose rows the counts belong to, or null for the root), never gathered into one array.
   */
  readonly distinct: ReadonlyMap<number, { readonly owner: number | null; readonly stages: Document[] }>;
  /**
   * Per median_absolute_deviation metric: its owner (null: the root) and the second read, given the
   * median the first read found (`m<id>_median` in the owner's row): the median of |value − median|.
   */
  readonly mad: ReadonlyMap<number, { readonly owner: number | null; readonly stages: (median: number) => Document[] }>;
}

const keyName = (n: BucketNode) => `k${n.id}`;

/** Whether a node contributes a key to its descendants' group ids (filter and missing only narrow). */
export function isKeyed(n: BucketNode): boolean {
  return n.spec.kind !== "filter" && n.spec.kind !== "missing";
}

/**
 * Plans one `$group` per bucket aggregation, keyed by its keyed ancestors' keys and its own, with its
 * metric children as accumulators; the root plan counts the total. Every field path comes from the
 * allowlist and every user value is a `$literal`.
 */
// Over 60 lines on purpose: the one walk that decides which reads a request makes (per bucket node: its
// $group, its top-k or row limit, its cardinality and MAD reads).
export function planAggregations(tree: readonly AggNode[]): Plan {
  const nodes = new Map<number, Document[]>();
  const distinct = new Map<number, { owner: number | null; stages: Document[] }>();
  const mad = new Map<number, { owner: number | null; stages: (median: number) => Document[] }>();
  const rootAccumulators: Document = {};
  const visit = (n: BucketNode, ancestors: BucketNode[]) => {
    const chain = [...ancestors, n];
    const narrow = chain.flatMap(narrowStages);
    const keyed = chain.filter(isKeyed);
    // Single-valued keys go straight into the group id (no $set pass); a group whose key part is
    // null (a missing field) is dropped after grouping, which equals dropping its documents before.
    const id = groupId(keyed);
    const metrics = n.children.filter((c): c is MetricNode => c.type === "metric");
    const stages: Document[] = [
      ...narrow,
      { $group: { _id: id, doc_count: { $sum: 1 }, ...accumulators(metrics) } },
      ...dropNullKeys(keyed),
    ];
    if (n.spec.kind === "composite") {
      // A page of composite keys, in key order, strictly after `after`: a top-k sort in the database.
      if (keyed.length !== 1)
        throw esError(
          `[composite] aggregation cannot be used with a parent aggregation of type: [${keyed[0]!.spec.kind}]`,
        );
      stages.push(...compositePage(n.spec, keyName(n)));
    } else if ((n.spec.kind === "terms" || n.spec.kind === "multi_terms") && keyed.length === 1) {
      // Top-level terms: a top-k sort in the database. sum_other_doc_count needs the number of
      // documents with a key, which the root counts (under the same filters) as `o<id>`.
      const s = n.spec;
      const parts = s.kind === "multi_terms" ? s.fields.map((_, i) => `_id.${keyName(n)}.t${i}`) : [];
      const hasKey =
        s.kind === "multi_terms"
          ? s.fields.map((f) => ({ $ne: [{ $ifNull: [`$${f.path}`, null] }, null] }))
          : [{ $ne: [keyExpr(s), null] }];
      rootAccumulators[`o${n.id}`] = {
        $sum: { $cond: [{ $and: [...chain.flatMap(narrowCondition), ...hasKey] }, 1, 0] },
      };
      const count: Document = { $gte: s.minDocCount };
      if (s.kind === "terms" && s.maxDocCount !== undefined) count.$lte = s.maxDocCount;
      stages.push(
        ...(parts.length ? [{ $match: Object.fromEntries(parts.map((p) => [p, { $ne: null }])) }] : []),
        { $match: { doc_count: count } },
        { $sort: termsSort(s.order) },
        { $limit: s.size },
      );
    } else if (n.spec.kind === "multi_terms") {
      throw esError("[multi_terms] is served at the top level (or under filter and missing) only");
    } else {
      stages.push({ $limit: MAX_GROUP_ROWS + 1 });
    }
    nodes.set(n.id, stages);
    for (const m of metrics) {
      if (m.spec.kind === "cardinality")
        distinct.set(m.id, { owner: n.id, stages: [...narrow, ...distinctCount(keyed, m)] });
      if (m.spec.kind === "median_absolute_deviation") {
        if (keyed.length)
          throw esError(
            `[median_absolute_deviation] aggregation [${m.name}] is served at the top level and under filter or missing only`,
          );
        mad.set(m.id, { owner: n.id, stages: (median) => [...narrow, ...deviationMedian(m, median)] });
      }
    }
    for (const c of n.children) if (c.type === "bucket") visit(c, chain);
  };
  for (const n of tree) if (n.type === "bucket") visit(n, []);
  const rootMetrics = tree.filter((c): c is MetricNode => c.type === "metric");
  for (const m of rootMetrics) {
    if (m.spec.kind === "cardinality") distinct.set(m.id, { owner: null, stages: distinctCount([], m) });
    if (m.spec.kind === "median_absolute_deviation")
      mad.set(m.id, { owner: null, stages: (median) => deviationMedian(m, median) });
  }
  const root = [{ $group: { _id: null, doc_count: { $sum: 1 }, ...accumulators(rootMetrics), ...rootAccumulators } }];
  return { root, nodes, distinct, mad };
}

/** The `$group` id of a node's rows: its keyed ancestors' keys and its own. */
function groupId(keyed: readonly BucketNode[]): Document {
  return Object.fromEntries(keyed.map((a) => [keyName(a), isMultiValued(a) ? `$${keyName(a)}` : keyExpr(a.spec)]));
}

/** Drops groups whose single-valued key part is null (a missing field has no bucket). */
function dropNullKeys(keyed: readonly BucketNode[], prefix = "_id."): Document[] {
  const nonNull = keyed.filter((a) => !isMultiValued(a));
  return nonNull.length
    ? [{ $match: Object.fromEntries(nonNull.map((a) => [`${prefix}${keyName(a)}`, { $ne: null }])) }]
    : [];
}

/** The same plan as one `$facet` (measured against concurrent aggregates by `npm run bench`). */
export function facetPipeline(plan: Plan): Document[] {
  const facet: Document = { root: plan.root };
  for (const [id, stages] of plan.nodes) facet[`n${id}`] = stages;
  for (const [id, d] of plan.distinct) facet[`d${id}`] = d.stages;
  return [{ $facet: facet }];
}

/** Range and filters put a document in several buckets: their key is an array, unwound. */
function isMultiValued(n: BucketNode): boolean {
  return n.spec.kind === "range" || n.spec.kind === "filters";
}

/** Stages that drop non-members (filter, missing) or unwind multi-bucket keys (range, filters). */
function narrowStages(n: BucketNode): Document[] {
  const s = n.spec;
  const k = keyName(n);
  switch (s.kind) {
    case "filter":
      return [{ $match: { $expr: s.expr } }];
    case "missing":
      return [{ $match: { $expr: { $eq: [{ $ifNull: [`$${s.field.path}`, null] }, null] } } }];
    case "range":
    case "filters":
      return [{ $set: { [k]: keyExpr(s) } }, { $unwind: `$${k}` }];
    default:
      return [];
  }
}

/** The condition a narrowing node (filter, missing) puts on a document, for counting in the root. */
function narrowCondition(n: BucketNode): unknown[] {
  const s = n.spec;
  if (s.kind === "filter") return [s.expr];
  if (s.kind === "missing") return [{ $eq: [{ $ifNull: [`$${s.field.path}`, null] }, null] }];
  return [];
}

function keyExpr(s: BucketSpec): unknown {
  switch (s.kind) {
    case "terms":
      return { $ifNull: [`$${s.field.path}`, null] };
    case "date_histogram":
      return dateKey(s);
    case "histogram": {
      const v = `$${s.field.path}`;
      return {
        $cond: [
          { $isNumber: v },
          {
            $add: [
              { $multiply: [{ $floor: { $divide: [{ $subtract: [v, s.offset] }, s.interval] } }, s.interval] },
              s.offset,
            ],
          },
          null,
        ],
      };
    }
    case "range": {
      const v = `$${s.field.path}`;
      // date_range bounds are dates (epoch ms in the spec); range bounds numbers.
      const bound = (x: number) => (s.dates ? { $literal: new Date(x) } : x);
      return {
        $concatArrays: s.ranges.map((r, i) => ({
          $cond: [
            {
              $and: [
                s.dates ? { $eq: [{ $type: v }, "date"] } : { $isNumber: v },
                ...(r.from !== undefined ? [{ $gte: [v, bound(r.from)] }] : []),
                ...(r.to !== undefined ? [{ $lt: [v, bound(r.to)] }] : []),
              ],
            },
            [i],
            [],
          ],
        })),
      };
    }
    case "composite":
      return Object.fromEntries(s.sources.map((src, i) => [`s${i}`, keyExpr(src.spec)]));
    case "multi_terms":
      return Object.fromEntries(s.fields.map((f, i) => [`t${i}`, { $ifNull: [`$${f.path}`, null] }]));
    case "filters": {
      const matched = { $concatArrays: s.filters.map((f) => ({ $cond: [f.expr, { $literal: [f.name] }, []] })) };
      if (s.otherBucketKey === undefined) return matched;
      return {
        $let: {
          vars: { m: matched },
          in: { $cond: [{ $eq: [{ $size: "$$m" }, 0] }, { $literal: [s.otherBucketKey] }, "$$m"] },
        },
      };
    }
    default:
      return null;
  }
}

/**
 * The bucket start (epoch ms) of a date. Calendar intervals: `$dateTrunc` in the zone, weeks from
 * Monday. Fixed intervals: epoch-aligned `t - (t mod i)` on `$toLong` (`$dateTrunc` with binSize > 1
 * would align to 2000-01-01); with a time zone and an interval that divides a day, `$dateTrunc` with a
 * bin size, whose 2000-01-01 alignment then coincides with local midnight.
 */
function dateKey(s: Extract<BucketSpec, { kind: "date_histogram" }>): unknown {
  const date = `$${s.field.path}`;
  if (s.calendarStep) {
    // Months (year·12 + month) or years in the zone, merged `every` at a time from the first: the key
    // is that index; the converter turns it into the bucket's start.
    const { unit, every, first } = s.calendarStep;
    const tz = s.timeZone ?? "UTC";
    const index =
      unit === "y"
        ? { $year: { date, timezone: tz } }
        : {
            $add: [
              { $multiply: [{ $year: { date, timezone: tz } }, 12] },
              { $subtract: [{ $month: { date, timezone: tz } }, 1] },
            ],
          };
    return { $add: [first, { $multiply: [{ $floor: { $divide: [{ $subtract: [index, first] }, every] } }, every] }] };
  }
  if (!s.offsetMs) return truncatedDate(s, date);
  // offset: buckets start `offset` later (the date shifted back, truncated, and the key shifted forward).
  return {
    $let: {
      vars: { shifted: { $subtract: [date, s.offsetMs] } },
      in: { $add: [truncatedDate(s, "$$shifted"), s.offsetMs] },
    },
  };
}

/** The bucket start (epoch ms) of the date expression `date`, by the histogram's interval and zone. */
function truncatedDate(s: Extract<BucketSpec, { kind: "date_histogram" }>, date: unknown): unknown {
  if ("calendar" in s.interval) {
    return {
      $toLong: {
        $dateTrunc: { date, unit: s.interval.calendar, timezone: s.timeZone ?? "UTC", startOfWeek: "monday" },
      },
    };
  }
  const i = s.interval.fixedMs;
  // An interval that divides a day: $dateTrunc's bins (from 2000-01-01, a whole number of days after the
  // epoch) are the epoch-aligned ones, in one operator instead of a $let of arithmetic.
  const bins = dayDividingBins(i);
  if (bins) return { $toLong: { $dateTrunc: { date, ...bins, timezone: s.timeZone ?? "UTC" } } };
  return {
    $let: {
      vars: { t: { $toLong: date } },
      in: { $subtract: ["$$t", { $mod: [{ $add: [{ $mod: ["$$t", i] }, i] }, i] }] },
    },
  };
}

/**
 * The page of a composite aggregation after its group: documents without a value for a source left
 * out (unless `missing_bucket`: null sorts first ascending, as in Elasticsearch), the keys strictly
 * after `after` in the sources' orders, sorted, `size` of them.
 */
function compositePage(s: Extract<BucketSpec, { kind: "composite" }>, k: string): Document[] {
  const path = (i: number) => `_id.${k}.s${i}`;
  const stages: Document[] = [];
  const required = s.sources.flatMap((src, i) => (src.missingBucket ? [] : [[path(i), { $ne: null }]]));
  if (required.length) stages.push({ $match: Object.fromEntries(required) });
  if (s.after) {
    const after = s.sources.map((src) => s.after![src.name] ?? null);
    // Lexicographic "after": equal on the first i sources, beyond on source i.
    const or = s.sources.map((src, i) => ({
      $and: [
        ...s.sources.slice(0, i).map((_, j) => ({ [path(j)]: { $eq: after[j] } })),
        { [path(i)]: { [src.desc ? "$lt" : "$gt"]: after[i] } },
      ],
    }));
    stages.push({ $match: { $or: or } });
  }
  stages.push(
    { $sort: Object.fromEntries(s.sources.map((src, i) => [path(i), src.desc ? -1 : 1])) },
    { $limit: s.size },
  );
  return stages;
}

/** A terms `order` as a `$sort` on the grouped rows (`_key` is the group id, holding only this key). */
export function termsSort(order: readonly TermsOrder[]): Document {
  const sort: Document = {};
  for (const o of order) {
    const field = o.by === "count" ? "doc_count" : o.by === "key" ? "_id" : o.field;
    if (!(field in sort)) sort[field] = o.desc ? -1 : 1;
  }
  return sort;
}
/**
 * A cardinality as MongoDB can run it at any size: one `$group` per (bucket keys, value), then one
 * per bucket keys counting them. Both spill with allowDiskUse; an `$addToSet` of every distinct value
 * would hit the 100 MB accumulator limit, which cannot spill.
 */
export function distinctCount(keyed: readonly BucketNode[], m: MetricNode): Document[] {
  const value = { $ifNull: [`$${(m.spec as { field: { path: string } }).field.path}`, null] };
  const outer = keyed.length ? Object.fromEntries(keyed.map((a) => [keyName(a), `$_id.${keyName(a)}`])) : null;
  return [
    { $group: { _id: { ...groupId(keyed), v: value } } },
    { $match: { "_id.v": { $ne: null } } },
    ...dropNullKeys(keyed),
    { $group: { _id: outer, [`m${m.id}`]: { $sum: 1 } } },
    { $limit: MAX_GROUP_ROWS + 1 },
  ];
}

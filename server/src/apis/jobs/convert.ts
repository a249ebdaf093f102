import { create } from "@bufbuild/protobuf";
import type { Value } from "@bufbuild/protobuf/wkt";
import {
  AggregationResultSchema,
  BucketSchema,
  type AggregationResult,
  type Bucket,
} from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { Document } from "mongodb";
import type { AggNode, BucketNode, BucketSpec } from "./agg-tree.js";
import { MAX_BUCKETS, esError, tooManyBuckets } from "./es-error.js";
import { formatDateAs } from "./date-format.js";
import { type MakeBucket, histogramBuckets } from "./histogram-keys.js";
import { compareKeys, compareMetric, jsonValue, metricResult } from "./metric-results.js";
import { MAX_GROUP_ROWS, isKeyed } from "./pipeline.js";
import { type PipelineNode, type SiblingSpec, isSiblingPipeline } from "./pipeline-aggs.js";
import { applyParentPipelines, siblingResult } from "./pipeline-values.js";

/** Top hits one answer may carry across all its buckets. */
const MAX_HITS = 10_000;

/** A grouped row: its composite key (`_id`, null at the root) and its count, with its metric values. */
export type Row = Document & { _id: Record<string, unknown> | null; doc_count: number };
type Results = Record<string, AggregationResult>;

/**
 * Turns the grouped rows into the nested Elasticsearch result tree: a node's rows are grouped by the
 * keys of its keyed ancestors, so each bucket finds its children's rows by its own key path.
 */
export class Assembler {
  private buckets = 0;
  private hits = 0;
  private readonly index = new Map<number, Map<string, Row[]>>();
  private readonly topTerms = new Map<number, { all: number; top: Row[] }>();

  /**
   * `distinctRows` are the cardinality pipelines' counts by metric id: they are joined to their
   * owner's rows (or the root row) by the bucket keys, as `m<id>`.
   */
  constructor(
    private readonly tree: readonly AggNode[],
    private readonly rootRow: Row | undefined,
    nodeRows: ReadonlyMap<number, Document[]>,
    distinctRows: ReadonlyMap<number, { owner: number | null; rows: Document[] }> = new Map(),
  ) {
    const counts = new Map<number | null, { key: string; rows: Document[] }[]>();
    for (const [id, d] of distinctRows) {
      if (d.rows.length > MAX_GROUP_ROWS) throw tooManyBuckets(d.rows.length);
      counts.set(d.owner, [...(counts.get(d.owner) ?? []), { key: `m${id}`, rows: d.rows }]);
    }
    if (this.rootRow)
      for (const c of counts.get(null) ?? []) this.rootRow[c.key] = (c.rows[0]?.[c.key] as number | undefined) ?? 0;
    const visit = (n: BucketNode, keyedAncestors: BucketNode[]) => {
      const rows = nodeRows.get(n.id) ?? [];
      const keyed = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
      for (const c of counts.get(n.id) ?? []) {
        const byKey = new Map(
          c.rows.map((r) => [prefixOf(keyed, (r._id as Record<string, unknown> | null) ?? {}), r[c.key] as number]),
        );
        for (const r of rows)
          r[c.key] = byKey.get(prefixOf(keyed, (r._id as Record<string, unknown> | null) ?? {})) ?? 0;
      }
      if (
        (n.spec.kind === "terms" || n.spec.kind === "multi_terms" || n.spec.kind === "composite") &&
        keyedAncestors.length === 0
      ) {
        this.topTerms.set(n.id, { all: Number(this.rootRow?.[`o${n.id}`] ?? 0), top: rows as Row[] });
      } else {
        if (rows.length > MAX_GROUP_ROWS) throw tooManyBuckets(rows.length);
        const byPrefix = new Map<string, Row[]>();
        for (const r of rows as Row[]) {
          const p = prefixOf(keyedAncestors, r._id ?? {});
          const list = byPrefix.get(p);
          if (list) list.push(r);
          else byPrefix.set(p, [r]);
        }
        this.index.set(n.id, byPrefix);
      }
      const next = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
      for (const c of n.children) if (c.type === "bucket") visit(c, next);
    };
    for (const n of tree) if (n.type === "bucket") visit(n, []);
  }

  get total(): number {
    return this.rootRow?.doc_count ?? 0;
  }

  results(): Results {
    return this.level(this.tree, this.rootRow, [], {});
  }

  private level(
    children: readonly AggNode[],
    row: Row | undefined,
    keyedAncestors: BucketNode[],
    path: Record<string, unknown>,
  ): Results {
    const out: Results = {};
    for (const c of children) {
      if (c.type === "metric") {
        const r = (out[c.name] = metricResult(c, row));
        if (r.result.case === "topHits") this.countHits(r.result.value.hits.length);
      } else if (c.type === "bucket") out[c.name] = this.bucketResult(c, keyedAncestors, path);
    }
    // Sibling pipelines read the finished results of this level (parent ones are their parent's work).
    for (const c of children) {
      if (c.type !== "pipeline" || !isSiblingPipeline(c.spec)) continue;
      const multi = children.find((x) => x.name === (c.spec as SiblingSpec).path.multi) as BucketNode;
      out[c.name] = siblingResult(c.spec, out, multi.spec.kind);
    }
    return out;
  }

  private rowsOf(n: BucketNode, keyedAncestors: BucketNode[], path: Record<string, unknown>): Row[] {
    return this.index.get(n.id)?.get(prefixOf(keyedAncestors, path)) ?? [];
  }

  /** Hits across every top_hits of the answer: at most MAX_HITS (each is a whole job). */
  private countHits(n: number): void {
    this.hits += n;
    if (this.hits > MAX_HITS)
      throw esError(`the answer would hold more than ${MAX_HITS} top hits; ask for fewer buckets or a smaller size`);
  }

  private count(n = 1): void {
    this.buckets += n;
    if (this.buckets > MAX_BUCKETS) throw tooManyBuckets(this.buckets);
  }

  /** A terms node's shown buckets and the documents of all its buckets (for sum_other_doc_count). */
  private termsTop(
    n: BucketNode,
    keyedAncestors: BucketNode[],
    path: Record<string, unknown>,
  ): { top: Row[]; all: number } {
    const pre = this.topTerms.get(n.id);
    if (pre) return pre;
    const s = n.spec as Extract<BucketSpec, { kind: "terms" }>;
    const k = `k${n.id}`;
    const rows = this.rowsOf(n, keyedAncestors, path);
    const top = rows
      .filter((r) => r.doc_count >= s.minDocCount && (s.maxDocCount === undefined || r.doc_count <= s.maxDocCount))
      .sort((a, b) => {
        for (const o of s.order) {
          const c =
            o.by === "count"
              ? a.doc_count - b.doc_count
              : o.by === "key"
                ? compareKeys(a._id?.[k], b._id?.[k])
                : compareMetric(a[o.field], b[o.field]);
          if (c !== 0) return o.desc ? -c : c;
        }
        return 0;
      })
      .slice(0, s.size);
    return { top, all: rows.reduce((a, r) => a + r.doc_count, 0) };
  }

  // Over 60 lines on purpose: one branch per bucket kind over the walk's shared state.
  private bucketResult(n: BucketNode, keyedAncestors: BucketNode[], path: Record<string, unknown>): AggregationResult {
    const s = n.spec;
    const k = `k${n.id}`;
    const childAncestors = isKeyed(n) ? [...keyedAncestors, n] : keyedAncestors;
    const parentPipelines = n.children.filter(
      (c): c is PipelineNode => c.type === "pipeline" && !isSiblingPipeline(c.spec),
    );
    const finish = (buckets: Bucket[]) => applyParentPipelines(parentPipelines, buckets);
    const bucket: MakeBucket = (raw, shown, row, extra = {}) => {
      this.count();
      return create(BucketSchema, {
        key: jsonValue(shown),
        docCount: BigInt(row?.doc_count ?? 0),
        ...extra,
        aggregations: this.level(n.children, row, childAncestors, { ...path, [k]: raw }),
      });
    };
    if (s.kind === "filter" || s.kind === "missing") {
      const row = this.rowsOf(n, keyedAncestors, path)[0];
      this.count();
      const aggregations = this.level(n.children, row, childAncestors, path);
      return create(AggregationResultSchema, {
        result: { case: "single", value: { docCount: BigInt(row?.doc_count ?? 0), aggregations } },
      });
    }
    if (s.kind === "terms") {
      const { top, all } = this.termsTop(n, keyedAncestors, path);
      const shown = top.reduce((a, r) => a + r.doc_count, 0);
      const buckets = top.map((r) => {
        const v = r._id?.[k];
        // Elasticsearch keys boolean terms 1/0 and shows "true"/"false" as key_as_string.
        return typeof v === "boolean" ? bucket(v, v ? 1 : 0, r, { keyAsString: String(v) }) : bucket(v, v, r);
      });
      // rare_terms answers its buckets alone.
      return multiResult(finish(buckets), s.maxDocCount === undefined ? { sumOther: all - shown } : {});
    }
    if (s.kind === "multi_terms") {
      const { top, all } = this.topTerms.get(n.id) ?? { top: [], all: 0 };
      const shown = top.reduce((a, r) => a + r.doc_count, 0);
      const buckets = top.map((r) => {
        const raw = r._id?.[k] as Record<string, unknown>;
        const parts = s.fields.map((_, i) => raw?.[`t${i}`] ?? null);
        return bucket(raw, parts, r, { keyAsString: parts.map((p) => String(p)).join("|") });
      });
      return multiResult(finish(buckets), { sumOther: all - shown });
    }
    if (s.kind === "composite") {
      // The database returned the page in key order; keys are objects of the sources' values.
      const page = this.topTerms.get(n.id)?.top ?? [];
      const buckets = page.map((r) => {
        const raw = r._id?.[k] as Record<string, unknown>;
        const key = Object.fromEntries(s.sources.map((src, i) => [src.name, raw?.[`s${i}`] ?? null]));
        return bucket(raw, key, r);
      });
      return multiResult(finish(buckets), { afterKey: buckets.at(-1)?.key });
    }
    const rows = this.rowsOf(n, keyedAncestors, path);
    if (s.kind === "date_histogram" || s.kind === "histogram")
      return multiResult(finish(histogramBuckets(s, rows, k, this.buckets, bucket)), {
        keyed: s.keyed,
        interval: s.kind === "date_histogram" ? s.auto?.chosen : undefined,
      });
    if (s.kind === "range") {
      const byIndex = new Map(rows.map((r) => [Number(r._id?.[k]), r]));
      const tz = s.dates?.timeZone;
      const shown = (ms: number | undefined) => (ms === undefined ? undefined : formatDateAs(ms, tz));
      const buckets = s.ranges.map((r, i) => {
        if (!s.dates) return bucket(i, r.key, byIndex.get(i), { from: r.from, to: r.to });
        const [from, to] = [shown(r.from), shown(r.to)];
        const key = r.key || `${from ?? "*"}-${to ?? "*"}`;
        return bucket(i, key, byIndex.get(i), { from: r.from, to: r.to, fromAsString: from, toAsString: to });
      });
      return multiResult(finish(buckets), { keyed: s.keyed });
    }
    const byName = new Map(rows.map((r) => [String(r._id?.[k]), r]));
    const names = [...s.filters.map((f) => f.name), ...(s.otherBucketKey !== undefined ? [s.otherBucketKey] : [])];
    return multiResult(finish(names.map((name) => bucket(name, name, byName.get(name)))), { keyed: true });
  }
}

function prefixOf(keyed: readonly BucketNode[], id: Record<string, unknown>): string {
  return JSON.stringify(keyed.map((a) => id[`k${a.id}`] ?? null));
}

/** A multi-bucket result; terms add their sum_other_doc_count (the error bound is 0: counts are exact). */
function multiResult(
  buckets: Bucket[],
  more: { sumOther?: number; keyed?: boolean; afterKey?: Value; interval?: string } = {},
): AggregationResult {
  return create(AggregationResultSchema, {
    result: {
      case: "buckets",
      value: {
        buckets,
        keyed: more.keyed ?? false,
        afterKey: more.afterKey,
        interval: more.interval ?? "",
        ...(more.sumOther !== undefined
          ? { sumOtherDocCount: BigInt(more.sumOther), docCountErrorUpperBound: 0n }
          : {}),
      },
    },
  });
}

import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { AggregationSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { describe, expect, it } from "vitest";
import { buildAggTree } from "./agg-tree.js";
import { MAX_GROUP_ROWS, facetPipeline, planAggregations, termsSort } from "./pipeline.js";

/** The plan for an Elasticsearch `aggs` object (proto JSON, as the REST shape produces it). */
function plan(aggs: Record<string, JsonObject>) {
  const tree = buildAggTree(
    Object.fromEntries(Object.entries(aggs).map(([k, v]) => [k, fromJson(AggregationSchema, v)])),
  );
  return { tree, plan: planAggregations(tree) };
}

describe("jobs aggregation plans", () => {
  it("top-level terms: a top-k sort in the database, the root counting documents with a key", () => {
    const { tree, plan: p } = plan({ states: { terms: { field: "job.state", size: 3 } } });
    const id = tree[0]!.id;
    const stages = p.nodes.get(id)!;
    const key = { $ifNull: ["$job.state", null] }; // missing and null are one "no key" group
    expect(stages[0]).toEqual({ $group: { _id: { [`k${id}`]: key }, doc_count: { $sum: 1 } } });
    expect(stages.slice(1)).toEqual([
      { $match: { [`_id.k${id}`]: { $ne: null } } },
      { $match: { doc_count: { $gte: 1 } } },
      // Elasticsearch's default order: count descending, then key ascending (a total order).
      { $sort: { doc_count: -1, _id: 1 } },
      { $limit: 3 },
    ]);
    // sum_other_doc_count = documents with a key − shown; the root counts the former.
    expect(p.root[0].$group[`o${id}`]).toEqual({ $sum: { $cond: [{ $and: [{ $ne: [key, null] }] }, 1, 0] } });
  });

  it("nested terms keep every row, up to one past the bucket limit (the assembler picks each parent's top)", () => {
    const { tree, plan: p } = plan({
      apps: { terms: { field: "application" }, aggs: { states: { terms: { field: "job.state" } } } },
    });
    const inner = tree[0]!.type === "bucket" ? tree[0]!.children[0]! : undefined;
    const stages = p.nodes.get(inner!.id)!;
    expect(stages.at(-1)).toEqual({ $limit: MAX_GROUP_ROWS + 1 });
    expect(JSON.stringify(stages)).not.toContain("$sort");
  });

  it("cardinality: one $group per (keys, value), then one counting them; nothing gathers the values", () => {
    const { tree, plan: p } = plan({ ids: { cardinality: { field: "job.id" } } });
    const d = p.distinct.get(tree[0]!.id)!;
    expect(d.owner).toBeNull();
    expect(d.stages.filter((s) => "$group" in s)).toHaveLength(2);
    expect(d.stages[0]).toEqual({ $group: { _id: { v: { $ifNull: ["$job.id", null] } } } });
  });

  it("no accumulator of any plan grows with its input ($push/$addToSet cannot spill on MongoDB)", () => {
    const { plan: p } = plan({
      apps: {
        terms: { field: "application" },
        aggs: {
          took: { percentiles: { field: "job.duration_ms" } },
          s: { stats: { field: "job.duration_ms" } },
          ids: { cardinality: { field: "job.id" } },
          per: { dateHistogram: { field: "@timestamp", calendarInterval: "day" } },
        },
      },
    });
    const text = JSON.stringify(facetPipeline(p));
    expect(text).not.toContain("$push");
    expect(text).not.toContain("$addToSet");
    // Percentiles are MongoDB's approximate $percentile: a t-digest of bounded size.
    expect(text).toContain('"method":"approximate"');
  });

  it("a terms order becomes one $sort, the first mention of a field winning", () => {
    expect(
      termsSort([
        { by: "metric", field: "m7", desc: true },
        { by: "count", desc: false },
        { by: "key", desc: false },
        { by: "count", desc: true },
      ] as never),
    ).toEqual({ m7: -1, doc_count: 1, _id: 1 });
  });
});

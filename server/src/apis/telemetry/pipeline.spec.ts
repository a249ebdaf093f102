import { describe, expect, it } from "vitest";
import { REMEMBERED_BATCHES, buildAggregatesPipeline, buildMergeUpdate } from "./pipeline.js";

describe("telemetry pipelines", () => {
  it("sums each bucket with its own $sum (the definition gives the count): fixed state per (date, label)", () => {
    const p = buildAggregatesPipeline({ metric: "GC_MS" }, 3);
    expect(p[0]).toEqual({ $match: { metric: "GC_MS" } });
    const group = p[1]!.$group;
    expect(group._id).toEqual({ date: "$date", label: "$label" });
    expect([group.b0, group.b1, group.b2]).toEqual(
      [0, 1, 2].map((i) => ({ $sum: { $arrayElemAt: ["$histogram", i] } })),
    );
    expect(group.b3).toBeUndefined();
    expect(p[2]!.$project.histogram).toEqual(["$b0", "$b1", "$b2"]);
    expect(JSON.stringify(p)).not.toContain("$push");
    // The stored layouts' extremes come back, so the service can refuse a mismatch clearly.
    expect(Object.keys(group)).toEqual(expect.arrayContaining(["minLength", "maxLength"]));
    expect(p.at(-1)).toEqual({ $sort: { date: 1, label: 1 } });
  });

  it("merges a submission element-wise in the database, every value a $literal, remembering the batch", () => {
    const [stage] = buildMergeUpdate([1, 2], 3.5, 3, "$batch");
    const set = stage!.$set;
    expect(set.histogram.$cond[2]).toEqual({ $literal: [1, 2] });
    expect(set.sum).toEqual({ $add: [{ $ifNull: ["$sum", 0] }, 3.5] });
    // A batch id that looks like a field path stays text; only the newest REMEMBERED_BATCHES are kept.
    expect(set.batches).toEqual({
      $slice: [{ $concatArrays: [{ $ifNull: ["$batches", []] }, [{ $literal: "$batch" }]] }, -REMEMBERED_BATCHES],
    });
  });
});

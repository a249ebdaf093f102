import { describe, expect, it } from "vitest";
import { buildRanksPipeline, buildStatsPipeline, percentileRank } from "./pipeline.js";

describe("delivery-stats summary pipelines", () => {
  it("nearest rank: floor(n·p/100 + 0.5) − 1, negative for too few values", () => {
    expect(percentileRank(100, 95)).toBe(94);
    expect(percentileRank(20, 98)).toBe(19);
    expect(percentileRank(9, 5)).toBe(-1);
    expect(percentileRank(10, 5)).toBe(0);
  });

  it("reads the wanted ranks after one sort of the values alone, numbering them with $documentNumber", () => {
    expect(buildRanksPipeline({ ds: "a" }, [0, 94]).slice(1)).toEqual([
      { $project: { _id: 0, value: 1 } },
      { $setWindowFields: { sortBy: { value: 1 }, output: { rank: { $documentNumber: {} } } } },
      { $match: { rank: { $in: [1, 95] } } },
    ]);
    for (const p of [buildStatsPipeline({}), buildRanksPipeline({}, [1])]) {
      // No accumulator collects one entry per document (MongoDB's $push/$addToSet cannot spill).
      const text = JSON.stringify(p);
      expect(text).not.toContain("$push");
    }
  });
});

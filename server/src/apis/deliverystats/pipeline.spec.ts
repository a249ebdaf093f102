import { describe, expect, it } from "vitest";
import { buildAggregatesPipeline } from "../telemetry/pipeline.js";
import { buildRankPipeline, buildStatsPipeline, percentileRank } from "./pipeline.js";

describe("delivery-stats summary pipelines", () => {
  it("nearest rank: floor(n·p/100 + 0.5) − 1, negative for too few values", () => {
    expect(percentileRank(100, 95)).toBe(94);
    expect(percentileRank(20, 98)).toBe(19);
    expect(percentileRank(9, 5)).toBe(-1);
    expect(percentileRank(10, 5)).toBe(0);
  });

  it("reads a rank from the nearer end with a top-k sort, and never accumulates the values", () => {
    expect(buildRankPipeline({ ds: "a" }, 94, 100).slice(1)).toEqual([{ $sort: { value: -1 } }, { $skip: 5 }, { $limit: 1 }, { $project: { _id: 0, value: 1 } }]);
    expect(buildRankPipeline({ ds: "a" }, 4, 100).slice(1, 3)).toEqual([{ $sort: { value: 1 } }, { $skip: 4 }]);
    for (const p of [buildStatsPipeline({}), buildRankPipeline({}, 1, 3), buildAggregatesPipeline({})]) {
      // No accumulator collects one entry per document (MongoDB's $push/$addToSet cannot spill).
      const text = JSON.stringify(p);
      expect(text.includes('"$push":"$value"') || text.includes('"$push":"$histogram"')).toBe(false);
    }
  });
});

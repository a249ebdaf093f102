import { describe, expect, it } from "vitest";
import { metricsType } from "./catalogue.js";
import { buildPlotPipeline, buildRollupPipeline, eventCounts, eventMeasures } from "./pipeline.js";

const columns = metricsType("job-types")!.columns.filter((c) => ["completed_count", "job_time_max"].includes(c.name));

describe("metrics pipelines", () => {
  it("plot data per choice: the selected columns of each stored hour, in time order", () => {
    expect(buildPlotPipeline({ choiceId: { $in: [1] } }, columns, false)).toEqual([
      { $match: { choiceId: { $in: [1] } } },
      {
        $project: {
          _id: 0,
          choiceId: 1,
          hour: 1,
          completed_count: "$values.completed_count",
          job_time_max: "$values.job_time_max",
        },
      },
      { $sort: { hour: 1, choiceId: 1 } },
    ]);
  });

  it("merged plot data: each column by its own aggregate, with a count of non-null inputs (all-null stays null)", () => {
    const [, group] = buildPlotPipeline({}, columns, true);
    expect(group).toEqual({
      $group: {
        _id: "$hour",
        completed_count: { $sum: "$values.completed_count" },
        n_completed_count: { $sum: { $cond: [{ $eq: [{ $ifNull: ["$values.completed_count", null] }, null] }, 0, 1] } },
        job_time_max: { $max: "$values.job_time_max" },
        n_job_time_max: { $sum: { $cond: [{ $eq: [{ $ifNull: ["$values.job_time_max", null] }, null] }, 0, 1] } },
      },
    });
  });

  it("the hourly rollup re-derives exactly the touched (choice, hour) rows from the raw events", () => {
    const hour = new Date("2024-01-01T10:00:00Z");
    const p = buildRollupPipeline("job-types", [{ choiceId: 7, hour }]);
    expect(p[0]).toEqual({ $match: { type: "job-types", $or: [{ choiceId: 7, hour }] } });
    const group = p[1]!.$group;
    // One count per outcome column, five accumulators per measure (sum, min, max, avg, non-null count).
    expect(Object.keys(group)).toHaveLength(
      1 + Object.keys(eventCounts("job-types")).length + 5 * eventMeasures["job-types"]!.length,
    );
    // A measure no event had sums to null, not 0 (Scale shows no value for such an hour).
    expect(p[2]!.$project["values.job_time_sum"]).toEqual({
      $cond: [{ $eq: ["$job_time_n", 0] }, null, "$job_time_sum"],
    });
  });
});

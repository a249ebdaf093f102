import { describe, expect, it } from "vitest";
import { buildSummaryPipeline } from "./pipeline.js";
import { parseSummaryQuery } from "./request.js";

const q = (parent: string, groupBy = "", orderBy = "", summary = "total,avg_duration") =>
  parseSummaryQuery({ parent, summary, groupBy, orderBy });

describe("records summary pipeline", () => {
  it("matches the parent's namespace and result, with the CEL filter's condition; `-` matches any", () => {
    const filter = { $expr: { $eq: ["$type", { $literal: "x" }] } };
    expect(buildSummaryPipeline(q("ns/results/r1"), filter)[0]).toEqual({
      $match: { ...filter, namespace: "ns", result: "r1" },
    });
    expect(buildSummaryPipeline(q("ns/results/-"), {})[0]).toEqual({ $match: { namespace: "ns" } });
    // Nothing to match beyond the tenant scope (which TenantScope puts first): no empty $match.
    expect(buildSummaryPipeline(q("-/results/-"), {})[0]).toHaveProperty("$project");
  });

  it("groups by time in UTC weeks starting Monday, or by the namespace-qualified field", () => {
    const week = buildSummaryPipeline(q("-/results/-", "week startTime"), {});
    expect(week[0]!.$project.g).toEqual({
      $dateTrunc: { date: { $ifNull: ["$startTime", null] }, unit: "week", timezone: "UTC", startOfWeek: "monday" },
    });
    const byNs = buildSummaryPipeline(q("-/results/-", "namespace"), {});
    expect(byNs[0]!.$project.g).toBe("$namespace");
    expect(buildSummaryPipeline(q("-/results/-"), {})[0]!.$project.g).toBeNull();
  });

  it("orders as Postgres does: NULLs last ascending and first descending, the group key breaking ties", () => {
    const asc = buildSummaryPipeline(q("-/results/-", "namespace", "avg_duration asc"), {});
    expect(asc.slice(-2)).toEqual([
      { $set: { _nullKey: { $cond: [{ $eq: [{ $ifNull: ["$durAvg", null] }, null] }, 1, 0] } } },
      { $sort: { _nullKey: 1, durAvg: 1, _id: 1 } },
    ]);
    const desc = buildSummaryPipeline(q("-/results/-", "namespace", "avg_duration desc"), {});
    expect(desc.at(-1)).toEqual({ $sort: { _nullKey: -1, durAvg: -1, _id: 1 } });
    expect(buildSummaryPipeline(q("-/results/-", "namespace"), {}).at(-1)).toEqual({ $sort: { _id: 1 } });
  });

  it("holds a fixed amount of state per group: scalar accumulators only", () => {
    const group = buildSummaryPipeline(q("-/results/-", "namespace"), {}).find((s) => "$group" in s)!.$group;
    for (const [k, acc] of Object.entries(group)) {
      if (k === "_id") continue;
      expect(Object.keys(acc as object)[0]).toMatch(/^\$(sum|avg|min|max)$/);
    }
  });
});

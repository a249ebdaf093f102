import { describe, expect, it } from "vitest";
import { parseSummaryQuery } from "./request.js";

const base = { parent: "-/results/-", summary: "", groupBy: "", orderBy: "" };

describe("parseSummaryQuery", () => {
  it("defaults to total; ignores the console's literal 'undefined'", () => {
    expect(parseSummaryQuery(base).summary).toEqual(["total"]);
    expect(parseSummaryQuery({ ...base, summary: "undefined" }).summary).toEqual(["total"]);
  });
  it("accepts both order_by forms, any case", () => {
    const q = { ...base, summary: "total,running", groupBy: "day" };
    expect(parseSummaryQuery({ ...q, orderBy: "ASC running" }).orderBy).toEqual({ field: "running", direction: 1 });
    expect(parseSummaryQuery({ ...q, orderBy: "running desc" }).orderBy).toEqual({ field: "running", direction: -1 });
    expect(parseSummaryQuery({ ...q, orderBy: "asc running" }).orderBy).toEqual({ field: "running", direction: 1 });
  });
  it("ignores order_by without group_by", () => {
    expect(parseSummaryQuery({ ...base, orderBy: "nonsense here too" }).orderBy).toBeUndefined();
  });
  it("answers upstream's messages", () => {
    expect(() => parseSummaryQuery({ ...base, parent: "ns" })).toThrow(
      "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)",
    );
    expect(() => parseSummaryQuery({ ...base, groupBy: "fortnight" })).toThrow("group_by does not recognize fortnight");
    // Upstream's texts: a time unit with an unknown field names the field alone.
    expect(() => parseSummaryQuery({ ...base, groupBy: "day updateTime" })).toThrow(
      "group_by does not recognize updateTime",
    );
    expect(() => parseSummaryQuery({ ...base, groupBy: "week creationTimestamp" })).toThrow(
      / group_by does not recognize creationTimestamp$/,
    );
    expect(() => parseSummaryQuery({ ...base, groupBy: "day  startTime" })).toThrow(
      "group_by does not recognize day  startTime",
    );
    expect(() => parseSummaryQuery({ ...base, groupBy: "namespace startTime" })).toThrow(
      "group_by does not recognize namespace startTime",
    );
    expect(() => parseSummaryQuery({ ...base, summary: "total,p99" })).toThrow(/ invalid aggregate query: p99$/);
    expect(() => parseSummaryQuery({ ...base, groupBy: "day", orderBy: "ASC failed" })).toThrow(
      "field name failed is not allowed, must be one of summary",
    );
    expect(() => parseSummaryQuery({ ...base, groupBy: "day", orderBy: "UP total" })).toThrow(
      "order_by does not recognize UP total",
    );
  });
});

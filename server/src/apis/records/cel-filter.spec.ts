import { describe, expect, it } from "vitest";
import { FilterError, compileFilter } from "./cel-filter.js";

describe("compileFilter", () => {
  it("compiles the console plugin's filter", () => {
    expect(
      compileFilter(
        'data_type == "tekton.dev/v1.PipelineRun" && data.status.startTime > timestamp("2024-01-01T00:00:00Z")',
      ),
    ).toEqual({
      $and: [
        { type: { $eq: "tekton.dev/v1.PipelineRun" } },
        // Microseconds where the record keeps them, else the millisecond date.
        {
          $or: [
            { startUs: { $gt: 1704067200000000 } },
            { $and: [{ startUs: null }, { startTime: { $gt: new Date("2024-01-01T00:00:00Z") } }] },
          ],
        },
      ],
    });
  });

  it("supports constants, ||, !, in, and swapped operands", () => {
    // SQL's NOT: a missing type matches neither the comparison nor its negation.
    expect(compileFilter("data_type == PIPELINE_RUN || !(data_type == TASK_RUN)")).toEqual({
      $or: [{ type: { $eq: "tekton.dev/v1.PipelineRun" } }, { type: { $nin: ["tekton.dev/v1.TaskRun", null] } }],
    });
    expect(compileFilter('data.status.conditions[0].reason in ["Failed", "Cancelled"]')).toEqual({
      reason: { $in: ["Failed", "Cancelled"] },
    });
    expect(compileFilter('timestamp("2024-01-01T00:00:00Z") <= data.metadata.creationTimestamp')).toEqual({
      createTime: { $gte: new Date("2024-01-01T00:00:00Z") },
    });
  });

  it("string methods become anchored, escaped regexes; contains also searches a map's keys and values", () => {
    expect(compileFilter('data.metadata.name.startsWith("build.")')).toEqual({
      "data.metadata.name": { $regex: "^build\\." },
    });
    expect(compileFilter('data.metadata.name.endsWith("x")')).toEqual({ "data.metadata.name": { $regex: "x$" } });
    const c = compileFilter('data.metadata.name.contains("a+b")') as { $or: unknown[] };
    expect(c.$or[0]).toEqual({ "data.metadata.name": { $regex: "a\\+b" } });
    expect(JSON.stringify(c.$or[1])).toContain('"$objectToArray":"$data.metadata.name"');
  });

  it("labels and annotations by key", () => {
    expect(compileFilter('data.metadata.labels["tekton.dev/pipeline"] == "build"')).toEqual({
      pipeline: { $eq: "build" },
    });
    expect(compileFilter('data.metadata.labels["app.kubernetes.io/name"] == "x"')).toEqual({
      "labels.app%2Ekubernetes%2Eio/name": { $eq: "x" },
    });
  });

  it("counts every '!' as a level of nesting, so thousands of them are refused, not recursed into", () => {
    expect(() => compileFilter(`${"!".repeat(4000)}data_type == "x"`)).toThrow(FilterError);
    expect(() => compileFilter(`${"!(".repeat(17)}data_type == "x"${")".repeat(17)}`)).toThrow(/nested too deeply/);
    expect(compileFilter(`${"!".repeat(32)}data_type == "x"`)).toBeTypeOf("object");
  });

  it("string literals take CEL's escapes (parsed by @bufbuild/cel)", () => {
    expect(compileFilter('data.metadata.name == "a\\"b\\\\c\\u00e9\\x41\\101\\n"')).toEqual({
      "data.metadata.name": { $eq: 'a"b\\céAA\n' },
    });
  });

  it("follows CEL's precedence: '!' binds to its operand, not to a whole comparison", () => {
    // `!x == y` is `(!x) == y` in CEL: a negated field is not a filter Tally can run, so it is refused.
    expect(() => compileFilter('!data.metadata.name == "x"')).toThrow(FilterError);
    expect(compileFilter('!(data.metadata.name == "x")')).toEqual({ "data.metadata.name": { $nin: ["x", null] } });
  });

  it("refuses a filter whose MongoDB form would nest past MongoDB's 100 levels, before any query", () => {
    const started = performance.now();
    expect(() => compileFilter(`data.spec.x${" + 1".repeat(1000)} == 3`)).toThrow(/too complex/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => compileFilter(`data.spec.x${" + 1".repeat(10)} == 11`)).not.toThrow();
  });

  it("refuses what it can't compile, with the position", () => {
    const bad: [string, RegExp][] = [
      ['$where == "1"', /position 0: unexpected '\$'/],
      ['data.$where == "x"', /position 4: unexpected '\.'/],
      ['secret == "x"', /field secret is not supported/],
      ['data_type = "x"', /position 10: unexpected '='/],
      ['data_type == "x" &&', /unexpected '&'/],
      ['data.status.startTime > "yesterday"', /timestamp/],
      ['timestamp("2024-13-01") < data.status.startTime', /RFC 3339/],
      ['data_type == "unterminated', /position 10/],
      ['data.metadata.name.matches(".*")', /matches is not supported/],
      [`${"(".repeat(40)}data_type == "x"${")".repeat(40)}`, /nested too deeply/],
    ];
    for (const [src, re] of bad) expect(() => compileFilter(src), src).toThrow(re);
    expect(() => compileFilter('secret == "x"')).toThrow(FilterError);
  });
});

import { describe, expect, it } from "vitest";
import { isDateMath, resolveDateMath } from "./date-math.js";

const now = Date.parse("2024-03-13T15:42:07.123Z"); // a Wednesday
const at = (text: string, roundUp = false, timeZone?: string) => {
  const ms = resolveDateMath(text, { now, roundUp, timeZone });
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe("Elasticsearch date math", () => {
  it("now, offsets and rounding (down for gte/lt, up for gt/lte)", () => {
    expect(at("now")).toBe("2024-03-13T15:42:07.123Z");
    expect(at("now-2d/d")).toBe("2024-03-11T00:00:00.000Z");
    expect(at("now-2d/d", true)).toBe("2024-03-11T23:59:59.999Z");
    expect(at("now/w")).toBe("2024-03-11T00:00:00.000Z");
    expect(at("now-1h+30m/m")).toBe("2024-03-13T15:12:00.000Z");
    expect(at("now/y", true)).toBe("2024-12-31T23:59:59.999Z");
  });

  it("an anchor date with ||, months of different lengths", () => {
    expect(at("2024-01-31||+1M")).toBe("2024-02-29T00:00:00.000Z");
    expect(at("2024-01-01||+1M/M")).toBe("2024-02-01T00:00:00.000Z");
    expect(at("1704067200000||+1d")).toBe("2024-01-02T00:00:00.000Z");
  });

  it("rounds in the request's time zone", () => {
    expect(at("now/d", false, "America/New_York")).toBe("2024-03-13T04:00:00.000Z");
    expect(at("now/d", false, "Asia/Kathmandu")).toBe("2024-03-12T18:15:00.000Z");
  });

  it("refuses what is not date math", () => {
    for (const bad of ["now-2x", "now-", "yesterday||+1d", `now${"+1d".repeat(20)}`, "2024-13-45||/d"])
      expect(at(bad), bad).toBeUndefined();
    expect(isDateMath("2024-01-01")).toBe(false);
    expect(isDateMath("now-1d")).toBe(true);
  });
});

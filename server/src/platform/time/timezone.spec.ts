import { describe, expect, it } from "vitest";
import { assertTimeZone, localToUtc, offsetAt } from "./timezone.js";

const h = 3_600_000;

describe("time zones (Temporal)", () => {
  it("offsets on both sides of New York's transitions, whichever instant is asked first", () => {
    const fallBack = Date.UTC(2024, 10, 3, 6); // 02:00 EDT → 01:00 EST
    expect(offsetAt("America/New_York", fallBack)).toBe(-5 * h);
    expect(offsetAt("America/New_York", fallBack - 1)).toBe(-4 * h);
    expect(offsetAt("America/New_York", fallBack + 1)).toBe(-5 * h);
    const springForward = Date.UTC(2024, 2, 10, 7); // 02:00 EST → 03:00 EDT
    expect(offsetAt("America/New_York", springForward - 1)).toBe(-5 * h);
    expect(offsetAt("America/New_York", springForward)).toBe(-4 * h);
  });

  it("30-minute DST (Lord Howe), odd offsets (Kathmandu) and fixed offsets", () => {
    expect(offsetAt("Australia/Lord_Howe", Date.UTC(2024, 0, 1))).toBe(11 * h);
    expect(offsetAt("Australia/Lord_Howe", Date.UTC(2024, 6, 1))).toBe(10.5 * h);
    expect(offsetAt("Asia/Kathmandu", Date.UTC(2024, 0, 1))).toBe(5.75 * h);
    expect(offsetAt("-0830", 0)).toBe(-8.5 * h);
    expect(offsetAt("+05:30", 0)).toBe(5.5 * h);
  });

  it("local times: the earlier instant in an overlap, after the gap in a skipped hour", () => {
    expect(localToUtc("America/New_York", Date.UTC(2024, 10, 3, 1, 30))).toBe(Date.UTC(2024, 10, 3, 5, 30));
    expect(localToUtc("America/New_York", Date.UTC(2024, 2, 10, 2, 30))).toBe(Date.UTC(2024, 2, 10, 7, 30));
    expect(localToUtc("Asia/Kathmandu", Date.UTC(2024, 0, 1))).toBe(Date.UTC(2023, 11, 31, 18, 15));
  });

  it("refuses unknown zones", () => {
    expect(() => assertTimeZone("Mars/Base")).toThrow();
    expect(() => assertTimeZone("Europe/Paris")).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { dateTrunc } from "./date-trunc.js";
import { offsetAt } from "./timezone.js";

const t = (iso: string) => new Date(iso);

describe("dateTrunc (MongoDB's $dateTrunc semantics)", () => {
  it("truncates in UTC by default", () => {
    expect(dateTrunc(t("2023-12-06T07:55:30Z"), "minute").toISOString()).toBe("2023-12-06T07:55:00.000Z");
    expect(dateTrunc(t("2023-12-06T07:55:30Z"), "quarter").toISOString()).toBe("2023-10-01T00:00:00.000Z");
  });
  it("weeks from the given start day", () => {
    expect(dateTrunc(t("2023-12-03T23:59:59Z"), "week", 1, undefined, "monday").toISOString()).toBe(
      "2023-11-27T00:00:00.000Z",
    );
    expect(dateTrunc(t("2023-12-03T23:59:59Z"), "week", 1, undefined, "sunday").toISOString()).toBe(
      "2023-12-03T00:00:00.000Z",
    );
  });
  it("truncates in a time zone's wall clock, hours and minutes included", () => {
    expect(dateTrunc(t("2024-01-01T00:30:00Z"), "day", 1, "Europe/Paris").toISOString()).toBe(
      "2023-12-31T23:00:00.000Z",
    );
    expect(dateTrunc(t("2024-01-01T00:30:00Z"), "hour", 1, "+05:30").toISOString()).toBe("2024-01-01T00:30:00.000Z");
    expect(dateTrunc(t("2024-07-01T12:00:00Z"), "day", 1, "America/New_York").toISOString()).toBe(
      "2024-07-01T04:00:00.000Z",
    );
  });
  it("bins larger than one count from 2000-01-01", () => {
    // The manual's example: binSize 2 hours aligns to even hours since 2000-01-01.
    expect(dateTrunc(t("2021-03-20T11:30:05Z"), "hour", 2).toISOString()).toBe("2021-03-20T10:00:00.000Z");
    // 254 months after 2000-01, floored to a multiple of 5 → 250 → 2020-11.
    expect(dateTrunc(t("2021-03-20T11:30:05Z"), "month", 5).toISOString()).toBe("2020-11-01T00:00:00.000Z");
  });
  it("offsets of fixed and named zones", () => {
    expect(offsetAt("-08:00", 0)).toBe(-8 * 3_600_000);
    expect(offsetAt("Europe/Paris", Date.parse("2024-07-01T00:00:00Z"))).toBe(2 * 3_600_000);
  });
  it("keeps the hour a DST change repeats as two hours, and skips the hour it removes", () => {
    // 2024-11-03, New York: 01:00–02:00 happens at 05:00Z (EDT) and again at 06:00Z (EST).
    expect(dateTrunc(t("2024-11-03T05:30:00Z"), "hour", 1, "America/New_York").toISOString()).toBe(
      "2024-11-03T05:00:00.000Z",
    );
    expect(dateTrunc(t("2024-11-03T06:30:00Z"), "hour", 1, "America/New_York").toISOString()).toBe(
      "2024-11-03T06:00:00.000Z",
    );
    // 2024-03-10: 02:00 local does not exist; 03:30 EDT truncates to 03:00 EDT.
    expect(dateTrunc(t("2024-03-10T07:30:00Z"), "hour", 1, "America/New_York").toISOString()).toBe(
      "2024-03-10T07:00:00.000Z",
    );
    // Odd offsets: Kathmandu is +05:45, so local hours start at :15 UTC.
    expect(dateTrunc(t("2024-01-01T00:20:00Z"), "hour", 1, "Asia/Kathmandu").toISOString()).toBe(
      "2024-01-01T00:15:00.000Z",
    );
    // Lord Howe's 30-minute DST change (2024-04-07 02:00 local back to 01:30): both half hours stay apart.
    const a = dateTrunc(t("2024-04-06T14:40:00Z"), "hour", 1, "Australia/Lord_Howe").getTime();
    const b = dateTrunc(t("2024-04-06T15:20:00Z"), "hour", 1, "Australia/Lord_Howe").getTime();
    expect(b).toBeGreaterThan(a);
  });
});

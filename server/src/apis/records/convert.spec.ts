import { describe, expect, it } from "vitest";
import { formatDuration } from "./convert.js";

describe("formatDuration", () => {
  it("formats as the document does", () => {
    expect(formatDuration(76_218.75)).toBe("00:01:16.21875");
    expect(formatDuration((2 * 3600 + 1 * 60 + 57) * 1000)).toBe("02:01:57");
    expect(formatDuration(40_500)).toBe("00:00:40.5");
    expect(formatDuration(0)).toBe("00:00:00");
  });
  it("keeps hours past 24 and at most six fraction digits", () => {
    expect(formatDuration(27 * 3600 * 1000)).toBe("27:00:00");
    expect(formatDuration(89_461.538461538)).toBe("00:01:29.461538");
  });
});

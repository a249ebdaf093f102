import { describe, expect, it } from "vitest";
import { negotiateTimestamp } from "./accept.js";

describe("negotiateTimestamp (the notes' table)", () => {
  const cases: [string | null, string][] = [
    [
      "application/json;timestamp=unix, application/json;timestamp=rfc;q=0.9, application/json;q=0.8, */*;q=0.7",
      "unix",
    ],
    [null, "rfc"],
    ["", "rfc"],
    ["*/*", "rfc"],
    ["application/json", "rfc"],
    ["application/*", "rfc"],
    ["application/json;timestamp=unix", "unix"],
    ["application/json;timestamp=rfc", "rfc"],
    ["application/json;timestamp=rfc;q=0.5, application/json;timestamp=unix", "unix"],
    ["application/json, application/json;timestamp=unix", "unix"],
    ["*/*, application/json;timestamp=unix;q=1", "unix"],
    ["application/json;q=abc;timestamp=unix", "unix"],
    ["text/html", "none"],
    ["application/json;timestamp=foo", "none"],
    ["text/html, */*;q=0.1", "rfc"],
    ["not a media type", "rfc"],
  ];
  for (const [accept, want] of cases) {
    it(`${accept ?? "(missing)"} → ${want}`, () => expect(negotiateTimestamp(accept)).toBe(want));
  }
});

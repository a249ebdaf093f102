import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("logger", () => {
  it("redacts authorization headers and secrets", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (c: Buffer, _e, cb) => {
        lines.push(c.toString());
        cb();
      },
    });
    const log = createLogger("info", sink);
    log.info(
      { headers: { authorization: "Bearer abc.def.ghi" }, client_secret: "s3cret", body: { clientSecret: "s3cret2" } },
      "x",
    );
    const out = lines.join("");
    expect(out).not.toMatch(/abc\.def\.ghi|s3cret/);
    expect(out).toContain("[redacted]");
  });
});

import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../helpers/server.js";

describe("secrets at rest", () => {
  it("the data directory is the owner's only, and it holds no private signing key in clear", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tally-rest-")), "data");
    // No TALLY_KEK: the zero-setup start generates one beside the data directory.
    const s = await startTestServer({ TALLY_DATA_DIR: dir, TALLY_KEK: "" });
    const kid = s.tally.app.keys.activeKey().kid;
    try {
      const keys = await s.tally.database.db.collection("signing_keys").find().toArray();
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) {
        expect(k.privateJwk).toBeUndefined();
        expect(k.privateSealed).toMatchObject({ v: 1 });
        expect(JSON.stringify(k)).not.toMatch(/"d":/);
      }
    } finally {
      await s.stop();
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ["journal.bson", "snapshot.bson"]) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    expect(statSync(`${dir}.kek`).mode & 0o777).toBe(0o600);
    // The ES256 private scalar ("d") of a JWK never reaches the files.
    for (const f of ["journal.bson", "snapshot.bson"])
      expect(readFileSync(join(dir, f)).includes(Buffer.from('"d"'))).toBe(false);
    // Restarting with the KEK beside the data opens the same active key.
    const { startTally } = await import("../../server/src/server.js");
    const { loadConfig } = await import("../../server/src/platform/config.js");
    const { createLogger } = await import("../../server/src/platform/logger.js");
    const again = await startTally(
      loadConfig({ PORT: "0", LOG_LEVEL: "silent", TALLY_DEMO: "off", TALLY_DATA_DIR: dir }),
      createLogger("silent"),
    );
    try {
      expect(again.app.keys.activeKey().kid).toBe(kid);
    } finally {
      await again.stop();
    }
  });

  it("real MongoDB needs a KEK from outside the database", async () => {
    const { loadConfig } = await import("../../server/src/platform/config.js");
    expect(() => loadConfig({ MONGODB_URI: "mongodb://db.example:27017" })).toThrow(
      /TALLY_KEK or TALLY_KEK_FILE is required/,
    );
    expect(() =>
      loadConfig({ MONGODB_URI: "mongodb://db.example:27017", TALLY_KEK: Buffer.alloc(32).toString("base64") }),
    ).not.toThrow();
  });
});

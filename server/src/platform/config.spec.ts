import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("defaults to the embedded database on 127.0.0.1:8080", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8080, HOST: "127.0.0.1", MONGODB_DB: "tally", TOKEN_TTL_SECONDS: 900 });
    expect(c.MONGODB_URI).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("errors name the key and never the value", () => {
    const secretish = "mysql://user:hunter2@db";
    expect(() => loadConfig({ PORT: "99999", MONGODB_URI: secretish })).toThrow(/PORT/);
    let message = "";
    try {
      loadConfig({ MONGODB_URI: secretish });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("MONGODB_URI");
    expect(message).not.toContain("hunter2");
    expect(() => loadConfig({ TLS_CERT_FILE: "/x" })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE must be set together/);
  });
});

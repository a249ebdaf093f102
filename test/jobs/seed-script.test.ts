import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemo } from "../../server/src/demo/load.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
let s: TestServer;
let secret = "";

beforeAll(async () => {
  s = await startTestServer();
  await loadDemo(
    s.tally,
    createLogger("silent"),
    (line) => (secret = /client_secret=(\S+)/.exec(line)?.[1] ?? secret),
    {
      jobs: 4000,
      recordRunsPerDay: 1,
      deliveryDays: 1,
      telemetryDates: 1,
      metricDays: 1,
    },
  );
});
afterAll(async () => {
  await s?.stop();
});

describe("the seed's Python example (jobs-aggs-v3)", () => {
  it("runs unmodified except for its URL and credential constants, and prints real figures", async () => {
    const original = readFileSync(new URL("./seed_moderate_example.py", import.meta.url), "utf8");
    const script = original
      .replace('BASE_URL = "https://your-api-base-url.com"', `BASE_URL = "${s.url}"`)
      .replace('TOKEN_URL = "https://your-auth-endpoint.com/oauth2/token"', `TOKEN_URL = "${s.url}/oauth2/token"`)
      .replace('CLIENT_ID = "your-client-id"', 'CLIENT_ID = "c-demo"')
      .replace('CLIENT_SECRET = "your-client-secret"', `CLIENT_SECRET = "${secret}"`);
    // Exactly the four constant lines differ.
    const changed = original.split("\n").filter((l, i) => l !== script.split("\n")[i]);
    expect(changed).toEqual([
      'BASE_URL = "https://your-api-base-url.com"',
      'TOKEN_URL = "https://your-auth-endpoint.com/oauth2/token"',
      'CLIENT_ID = "your-client-id"',
      'CLIENT_SECRET = "your-client-secret"',
    ]);
    const path = join(mkdtempSync(join(tmpdir(), "tally-seed-")), "example.py");
    writeFileSync(path, script);
    const { stderr } = await run("python3", [path], { timeout: 60_000 });
    // The script logs to stderr.
    expect(stderr).toContain("Authentication successful");
    expect(stderr).toContain("Successfully retrieved aggregations");
    const total = Number(/Total Jobs Analyzed: ([\d,]+)/.exec(stderr)?.[1]?.replace(/,/g, ""));
    expect(total).toBeGreaterThan(100);
    const states = [...stderr.matchAll(/\d+\. (\w+)\s+:\s+([\d,]+) \(/g)].map((m) => [
      m[1],
      Number(m[2]!.replace(/,/g, "")),
    ]);
    expect(states.map(([state]) => state)).toEqual(expect.arrayContaining(["SUCCEEDED", "FAILED"]));
    expect(states.every(([, n]) => (n as number) > 0)).toBe(true);
    expect(Number(/Failed Jobs: ([\d,]+)/.exec(stderr)?.[1])).toBeGreaterThan(0);
    const days = [...stderr.matchAll(/ (\d{4}-\d{2}-\d{2}):\s+([\d,]+) jobs/g)];
    expect(days).toHaveLength(7);
    expect(days.some((d) => Number(d[2]!.replace(/,/g, "")) > 0)).toBe(true);
    expect(stderr).toContain("Complete!");
  });
});

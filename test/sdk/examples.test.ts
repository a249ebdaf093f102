import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryStatsExample } from "../../sdk/examples/delivery-stats.js";
import { grpcJsExample } from "../../sdk/examples/grpc-js.js";
import { jobsExample } from "../../sdk/examples/jobs.js";
import { metricsExample } from "../../sdk/examples/metrics.js";
import { recordsExample } from "../../sdk/examples/records.js";
import { telemetryExample } from "../../sdk/examples/telemetry.js";
import { loadDemo } from "../../server/src/demo/load.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { protoRoot } from "../helpers/grpc.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let secret = "";

beforeAll(async () => {
  s = await startTestServer();
  await loadDemo(s.tally, createLogger("silent"), (l) => (secret = /client_secret=(\S+)/.exec(l)?.[1] ?? secret), {
    jobs: 2000,
    recordRunsPerDay: 4,
    deliveryDays: 1,
    telemetryDates: 2,
    metricDays: 2,
  });
});
afterAll(async () => {
  await s?.stop();
});

describe("sdk/examples run against a real server with demo data", () => {
  it("jobs", async () => {
    const lines = await jobsExample(s.url, "c-demo", secret);
    expect(lines[0]).toMatch(/^total jobs: [1-9]\d*$/);
    expect(lines.some((l) => l.startsWith("SUCCEEDED: "))).toBe(true);
  });
  it("records", async () =>
    expect((await recordsExample(s.url, "c-demo", secret)).some((l) => l.startsWith("frontend/"))).toBe(true));
  it("metrics", async () =>
    expect(await metricsExample(s.url, "c-demo", secret)).toContainEqual(
      expect.stringMatching(/^job_time_avg: \d+ hourly values/),
    ));
  it("delivery stats", async () =>
    expect((await deliveryStatsExample(s.url, "c-demo", secret))[0]).toMatch(/^points: [1-9]/));
  it("telemetry", async () =>
    expect(await telemetryExample(s.url, "c-demo", secret)).toEqual([
      expect.stringContaining("nightly"),
      expect.stringMatching(/^exponential histogram, [1-9]\d* samples/),
    ]));
  it("grpc-js", async () => {
    const token = await s.token({ clientId: "c-demo", clientSecret: secret });
    expect(await grpcJsExample(s.url.replace("http://", ""), token, protoRoot)).toBe("job-types, errors, ingests");
  });
});

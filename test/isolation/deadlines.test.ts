import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { restCall, startTestServer, type TestServer, seedJobs } from "../helpers/server.js";

let s: TestServer;
const CAP_MS = 1500;

beforeAll(async () => {
  s = await startTestServer({ MAX_DEADLINE_MS: String(CAP_MS) });
  await seedJobs(s, "root", 150_000);
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

// Many histograms over 150,000 jobs: several seconds of database work.
const heavyAggs = Object.fromEntries(
  Array.from({ length: 40 }, (_, i) => [
    `h${i}`,
    { kind: { case: "dateHistogram" as const, value: { field: "@timestamp", fixedInterval: `${i + 1}h` } } },
  ]),
);

async function timedCall(timeoutMs: number | undefined): Promise<{ code: Code | undefined; ms: number }> {
  const client = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "2" }));
  const headers = { authorization: `Bearer ${await s.token(s.admin)}` };
  const t0 = performance.now();
  const code = await client.aggregateJobs({ aggs: heavyAggs }, { headers, timeoutMs }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
  return { code, ms: performance.now() - t0 };
}

describe("deadlines hold end to end", () => {
  it("a call with a deadline answers DeadlineExceeded within the deadline + 250 ms, and health answers meanwhile", async () => {
    const health = createClient(Health, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    const call = timedCall(700);
    const healthMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      expect((await health.check({})).status).toBe(1);
      healthMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await call;
    expect(r.code).toBe(Code.DeadlineExceeded);
    expect(r.ms).toBeLessThan(700 + 250);
    expect(Math.max(...healthMs)).toBeLessThan(100);
  });

  it("a call without a deadline gets the server's cap", async () => {
    const r = await timedCall(undefined);
    expect(r.code).toBe(Code.DeadlineExceeded);
    expect(r.ms).toBeLessThan(CAP_MS + 250);
  });

  it("the database stops the abandoned work: a cheap call right after is quick", async () => {
    await timedCall(300);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const res = await restCall(s, s.admin, "/v6/metrics/");
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(300);
  });
});

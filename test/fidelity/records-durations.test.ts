import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";
import { run } from "../records/fixture.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  const records = [
    run({ name: "r1", created: "2024-01-01T00:00:00Z", start: "2024-01-01T00:00:00Z", end: "2024-01-01T00:01:16.21875Z", reason: "Succeeded" }),
    run({ name: "r2", created: "2024-01-01T00:00:00Z", start: "2024-01-01T00:00:00.000001Z", end: "2024-01-01T00:00:10.000003Z", reason: "Succeeded" }),
  ];
  const res = await restCall(s, s.admin, "/apis/results.tekton.dev/v1alpha2/parents/dur/results/r/records:batchCreate", { method: "POST", body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

describe("records: durations keep microseconds, as Tekton's Postgres does", () => {
  it("the document's 00:01:16.21875, and sums and extremes exact to the microsecond", async () => {
    const res = await restCall(s, s.admin, "/apis/results.tekton.dev/v1alpha2/parents/dur/results/-/records/summary?summary=max_duration,min_duration,total_duration,avg_duration");
    const [row] = ((await res.json()) as { summary: Record<string, string>[] }).summary;
    expect(row).toEqual({ max_duration: "00:01:16.21875", min_duration: "00:00:10.000002", total_duration: "00:01:26.218752", avg_duration: "00:00:43.109376" });
  });
});

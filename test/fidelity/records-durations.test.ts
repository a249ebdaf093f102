import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";
import { run } from "../records/fixture.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  const records = [
    run({
      name: "r1",
      created: "2024-01-01T00:00:00Z",
      start: "2024-01-01T00:00:00Z",
      end: "2024-01-01T00:01:16.21875Z",
      reason: "Succeeded",
    }),
    run({
      name: "r2",
      created: "2024-01-01T00:00:00Z",
      start: "2024-01-01T00:00:00.000001Z",
      end: "2024-01-01T00:00:10.000003Z",
      reason: "Succeeded",
    }),
  ];
  const res = await restCall(
    s,
    s.admin,
    "/apis/results.tekton.dev/v1alpha2/parents/dur/results/r/records:batchCreate",
    { method: "POST", body: JSON.stringify({ records }) },
  );
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

describe("records: durations keep microseconds, as Tekton's Postgres does", () => {
  it("the document's 00:01:16.21875, and sums and extremes exact to the microsecond", async () => {
    const res = await restCall(
      s,
      s.admin,
      "/apis/results.tekton.dev/v1alpha2/parents/dur/results/-/records/summary?summary=max_duration,min_duration,total_duration,avg_duration",
    );
    const [row] = ((await res.json()) as { summary: Record<string, string>[] }).summary;
    expect(row).toEqual({
      max_duration: "00:01:16.21875",
      min_duration: "00:00:10.000002",
      total_duration: "00:01:26.218752",
      avg_duration: "00:00:43.109376",
    });
  });
});

describe("records: filters on start and completion times compare microseconds", () => {
  async function total(filter: string): Promise<number> {
    const res = await restCall(
      s,
      s.admin,
      `/apis/results.tekton.dev/v1alpha2/parents/dur/results/-/records/summary?summary=total&filter=${encodeURIComponent(filter)}`,
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { summary: { total: number }[] }).summary[0]!.total;
  }

  it("a start at .000001 is after .000000 and equal to itself; a completion at .000003 is after .000002", async () => {
    expect(await total('data.status.startTime > timestamp("2024-01-01T00:00:00Z")')).toBe(1);
    expect(await total('data.status.startTime == timestamp("2024-01-01T00:00:00.000001Z")')).toBe(1);
    expect(await total('data.status.startTime != timestamp("2024-01-01T00:00:00.000001Z")')).toBe(1);
    expect(await total('data.status.completionTime > timestamp("2024-01-01T00:00:10.000002Z")')).toBe(2);
    expect(await total('!(data.status.completionTime <= timestamp("2024-01-01T00:00:10.000003Z"))')).toBe(1);
    expect(await total('data.status.completionTime < timestamp("2024-01-01T00:01:16.21875Z")')).toBe(1);
    expect(await total('data.status.completionTime >= timestamp("2024-01-01T00:01:16.218751Z")')).toBe(0);
  });
});

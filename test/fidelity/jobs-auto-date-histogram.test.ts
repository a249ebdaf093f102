// [jobs-dsl] auto_date_histogram: the interval Elasticsearch's ladder chooses for the data's range and
// the target bucket count, merged buckets counted from the first one; hand-computed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const put = async (app: string, stamps: string[]) => {
  const jobs = stamps.map((t, i) => ({
    application: app,
    app_type: "ec2",
    domain: "d",
    region: "r",
    "@timestamp": t,
    job: { id: `${app}-${i}`, name: "n", state: "OK" },
  }));
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
};

beforeAll(async () => {
  s = await startTestServer();
  await put("months", [
    "2024-01-15T00:00:00Z",
    "2024-02-20T00:00:00Z",
    "2024-05-01T00:00:00Z",
    "2024-08-10T00:00:00Z",
    "2024-11-20T00:00:00Z",
  ]);
  await put("minutes", ["2024-05-01T10:00:10Z", "2024-05-01T10:20:00Z", "2024-05-01T13:05:00Z"]);
});
afterAll(async () => {
  await s?.stop();
});

async function auto(app: string, spec: Record<string, unknown>) {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application: app, aggs: { a: { auto_date_histogram: { field: "@timestamp", ...spec } } } }),
  });
  const json = (await res.json()) as any;
  expect(res.status, JSON.stringify(json)).toBe(200);
  const a = json.data.aggregations.a;
  return { interval: a.interval, buckets: a.buckets.map((b: any) => [b.key_as_string, b.doc_count]) };
}

describe("jobs: auto_date_histogram", () => {
  it("eleven months in at most 10 buckets: quarters from the first month (3M)", async () => {
    expect(await auto("months", {})).toEqual({
      interval: "3M",
      buckets: [
        ["2024-01-01T00:00:00.000Z", 2],
        ["2024-04-01T00:00:00.000Z", 1],
        ["2024-07-01T00:00:00.000Z", 1],
        ["2024-10-01T00:00:00.000Z", 1],
      ],
    });
    const monthly = await auto("months", { buckets: 20 });
    expect(monthly.interval).toBe("1M");
    expect(monthly.buckets).toHaveLength(11);
    expect(monthly.buckets[1]).toEqual(["2024-02-01T00:00:00.000Z", 1]);
    expect(monthly.buckets[2]).toEqual(["2024-03-01T00:00:00.000Z", 0]);
  });

  it("three hours and five minutes in at most 10 buckets: 30 minutes, from the first minute", async () => {
    expect(await auto("minutes", {})).toEqual({
      interval: "30m",
      buckets: [
        ["2024-05-01T10:00:00.000Z", 2],
        ["2024-05-01T10:30:00.000Z", 0],
        ["2024-05-01T11:00:00.000Z", 0],
        ["2024-05-01T11:30:00.000Z", 0],
        ["2024-05-01T12:00:00.000Z", 0],
        ["2024-05-01T12:30:00.000Z", 0],
        ["2024-05-01T13:00:00.000Z", 1],
      ],
    });
    expect((await auto("minutes", { minimum_interval: "hour" })).interval).toBe("1h");
  });
});

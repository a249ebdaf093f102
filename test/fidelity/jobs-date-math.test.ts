// [jobs-dsl] date math, as a Kibana-style dashboard sends it: `now-2d/d` in range queries (rounded
// down for gte/lt, up for gt/lte), in start_time/end_time, and in a date histogram's extended_bounds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const day = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * day).toISOString();

beforeAll(async () => {
  s = await startTestServer();
  const jobs = [1, 3, 10].map((d) => ({
    application: "dm",
    app_type: "ec2",
    domain: "d",
    region: "r",
    "@timestamp": ago(d),
    job: { id: `dm-${d}`, name: "n", state: "OK" },
  }));
  const res = await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function aggs(body: Record<string, unknown>) {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application: "dm", ...body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("jobs: Elasticsearch date math", () => {
  it("range queries: now-2d/d rounds down for gte, now-3d/d up for lte", async () => {
    expect((await aggs({ query: { range: { "@timestamp": { gte: "now-2d/d" } } } })).body.data.total).toBe(1);
    expect((await aggs({ query: { range: { "@timestamp": { lte: "now-3d/d" } } } })).body.data.total).toBe(2);
    expect((await aggs({ query: { range: { "@timestamp": { gt: "now-11d", lt: "now" } } } })).body.data.total).toBe(3);
  });

  it("start_time and end_time", async () => {
    expect((await aggs({ start_time: "now-4d/d" })).body.data.total).toBe(2);
    expect((await aggs({ start_time: "now-4d/d", end_time: "now-2d/d" })).body.data.total).toBe(1);
  });

  it("extended_bounds in date math give every day from the bound to today", async () => {
    const { body } = await aggs({
      start_time: "now-5d/d",
      aggs: {
        per_day: {
          date_histogram: {
            field: "@timestamp",
            calendar_interval: "day",
            extended_bounds: { min: "now-5d/d", max: "now/d" },
          },
        },
      },
    });
    const buckets = body.data.aggregations.per_day.buckets as { doc_count: number }[];
    expect(buckets).toHaveLength(6);
    expect(buckets.reduce((a, b) => a + b.doc_count, 0)).toBe(2);
  });

  it("bad date math is Elasticsearch's parse error, a 400", async () => {
    const zone = await aggs({ query: { range: { "@timestamp": { gte: "now/d", time_zone: "Mars/Base" } } } });
    expect(zone.status).toBe(400);
    expect(zone.body.detail).toBe("Unknown time-zone ID: Mars/Base");
    for (const body of [{ query: { range: { "@timestamp": { gte: "now-2x" } } } }, { start_time: "now+1q" }]) {
      const r = await aggs(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail).toMatch(/failed to parse date field/);
    }
  });
});

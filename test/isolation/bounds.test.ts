import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

// Every request here asks for far more work than it may; each must be refused up front, in the API's
// own error shape, in milliseconds, while the server keeps answering others.
let s: TestServer;
let t: Credentials;

beforeAll(async () => {
  s = await startTestServer();
  t = await createTenantWithClient(s, "heavy", "root");
  const ds = await restCall(s, t, "/api/4.0/deliveryservices", {
    method: "POST",
    body: JSON.stringify({ xmlId: "cdn1" }),
  });
  expect(ds.status).toBe(200);
  const now = Date.now();
  const points = Array.from({ length: 600 }, (_, i) => ({
    deliveryService: "cdn1",
    metricType: "tps_total",
    time: new Date(now - i * 60_000).toISOString(),
    value: i,
  }));
  const ing = await restCall(s, t, "/api/4.0/deliveryservice_stats", {
    method: "POST",
    body: JSON.stringify({ points }),
  });
  expect(ing.status).toBe(200);
  const jobs = Array.from({ length: 10_000 }, (_, i) => ({
    application: "atr",
    timestamp: new Date(now - i * 1000).toISOString(),
    job: {
      id: `j${i}`,
      state: i % 2 ? "OK" : "FAILED",
      duration_ms: i,
      attributes: { long: `${"x".repeat(60)}-${i}` },
    },
  }));
  const ij = await restCall(s, t, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) });
  expect(ij.status, await ij.clone().text()).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function timed(path: string, init?: RequestInit): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await restCall(s, t, path, init);
  const body = await res.json();
  return { status: res.status, body, ms: performance.now() - t0 };
}

const years = (n: number) => {
  const end = new Date();
  const start = new Date(end.getTime() - n * 365.25 * 86_400_000);
  return `startDate=${start.toISOString()}&endDate=${end.toISOString()}`;
};

describe("bounded work: refused before it is done", () => {
  it("delivery stats: a 1-minute series over 10 and 25 years is a 400 alert, at once", async () => {
    for (const n of [1, 10, 25]) {
      const r = await timed(
        `/api/4.0/deliveryservice_stats?deliveryServiceName=cdn1&metricType=tps_total&${years(n)}&interval=1m`,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.alerts[0]).toMatchObject({ level: "error" });
      expect(r.body.alerts[0].text).toMatch(/more than the 50000 allowed/);
      expect(r.ms).toBeLessThan(1000);
    }
  });

  it("delivery stats: limit narrows the series to what is returned, and the answer holds only that slice", async () => {
    const r = await timed(
      `/api/4.0/deliveryservice_stats?deliveryServiceName=cdn1&metricType=tps_total&${years(10)}&interval=1m&limit=30&offset=5`,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.response.series.values).toHaveLength(30);
    const ex = await timed(
      `/api/4.0/deliveryservice_stats?deliveryServiceName=cdn1&metricType=tps_total&${years(10)}&interval=1m&exclude=series`,
    );
    expect(ex.status).toBe(200);
    expect(ex.body.response.summary.count).toBe(600);
  });

  const aggs = (body: unknown) => timed("/v3/jobs/aggs", { method: "POST", body: JSON.stringify(body) });

  it("jobs: a terms query with more than 65,536 values is Elasticsearch's max_terms_count error", async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => `j${i}`);
    const r = await aggs({ query: { terms: { "job.id": values } }, aggs: { n: { value_count: { field: "job.id" } } } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status_code: 400, detail: expect.stringContaining("[index.max_terms_count]") });
    const ok = await aggs({
      query: { terms: { "job.id": values.slice(0, 1000) } },
      aggs: { n: { value_count: { field: "job.id" } } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data.aggregations.n.value).toBe(1000);
  });

  it("jobs: 2,000 filters are refused as too many clauses", async () => {
    const filters = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`f${i}`, { term: { "job.id": `j${i}` } }]),
    );
    const r = await aggs({ aggs: { f: { filters: { filters } } } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/too many nested clauses; maxClauseCount is set to 1024/);
    const empties = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, { bool: {} }]));
    expect((await aggs({ aggs: { f: { filters: { filters: empties } } } })).status).toBe(400);
  });

  it("jobs: more buckets than fit in one answer are a 400, never a 500", async () => {
    // 32 pairs of terms → nested terms on a long unique key: 320,000 rows, more than one 16 MiB answer.
    const wide = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [
        `t${i}`,
        {
          terms: { field: "job.state", size: 10 },
          aggs: { ids: { terms: { field: "job.attributes.long", size: 100_000 } } },
        },
      ]),
    );
    const r = await aggs({ aggs: wide });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
    expect(r.body.detail).toMatch(/too many buckets/);
  }, 60_000);

  it("records: a filter of 4,000 chained '!' is a 400 in Tekton's error shape", async () => {
    const filter = encodeURIComponent(`${"!".repeat(4000)}data_type == "x"`);
    const r = await timed(
      `/apis/results.tekton.dev/v1alpha2/parents/heavy/results/-/records/summary?summary=total&filter=${filter}`,
    );
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/nested too deeply/);
  });
});

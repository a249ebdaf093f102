// [jobs-dsl] terms `order` as Elasticsearch takes it: by _count, _key, a metric sub-aggregation (also
// a stats value), multi-criteria arrays; _key ascending breaks ties. Top-level terms sort in the
// database, nested ones when the tree is assembled: both must agree.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggs as a, createTallyClient } from "@tally/sdk";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
// app_type: ec2 ×3 (durations 10, 20, 30), k8s ×2 (100, 300), lambda ×1 (5), batch ×2 (1, 2)
const rows: [string, number][] = [
  ["ec2", 10],
  ["ec2", 20],
  ["ec2", 30],
  ["k8s", 100],
  ["k8s", 300],
  ["lambda", 5],
  ["batch", 1],
  ["batch", 2],
];

beforeAll(async () => {
  s = await startTestServer();
  const jobs = rows.map(([type, ms], i) => ({
    application: "ord",
    app_type: type,
    domain: "d",
    region: "r",
    "@timestamp": "2024-05-01T00:00:00Z",
    job: { id: `o-${i}`, name: "n", state: "OK", duration_ms: ms },
  }));
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function keys(terms: Record<string, unknown>, nested = false): Promise<string[]> {
  const agg = {
    t: {
      terms: { field: "app_type", ...terms },
      aggs: { avg_ms: { avg: { field: "job.duration_ms" } }, st: { stats: { field: "job.duration_ms" } } },
    },
  };
  const body = nested
    ? { application: "ord", aggs: { all: { filter: { match_all: {} }, aggs: agg } } }
    : { application: "ord", aggs: agg };
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as any;
  expect(res.status, JSON.stringify(json)).toBe(200);
  const t = nested ? json.data.aggregations.all.t : json.data.aggregations.t;
  return t.buckets.map((b: { key: string }) => b.key);
}

describe("jobs: terms order", () => {
  for (const nested of [false, true]) {
    it(`${nested ? "nested under a filter" : "top level"}: _count, _key, a metric, a stats value, arrays`, async () => {
      expect(await keys({}, nested)).toEqual(["ec2", "batch", "k8s", "lambda"]);
      expect(await keys({ order: { _count: "asc" } }, nested)).toEqual(["lambda", "batch", "k8s", "ec2"]);
      expect(await keys({ order: { _key: "desc" } }, nested)).toEqual(["lambda", "k8s", "ec2", "batch"]);
      expect(await keys({ order: { avg_ms: "desc" } }, nested)).toEqual(["k8s", "ec2", "lambda", "batch"]);
      expect(await keys({ order: { "st.max": "asc" }, size: 2 }, nested)).toEqual(["batch", "lambda"]);
      expect(await keys({ order: [{ _count: "desc" }, { _key: "desc" }] }, nested)).toEqual([
        "ec2",
        "k8s",
        "batch",
        "lambda",
      ]);
    });
  }

  it("the typed client's builder", async () => {
    const tally = createTallyClient({ baseUrl: s.url, ...s.admin });
    const res = await tally.jobs.aggregateJobs({
      application: "ord",
      aggs: { t: a.terms("app_type", { order: [{ path: "_key" }] }) },
    });
    const r = res.data!.aggregations.t!.result;
    expect(r.case === "buckets" ? r.value.buckets.map((b) => b.key?.kind.value) : []).toEqual([
      "batch",
      "ec2",
      "k8s",
      "lambda",
    ]);
  });

  it("bounds the criteria on every protocol: nine are refused over REST and RPC", async () => {
    const nine = Array.from({ length: 9 }, () => ({ _key: "asc" }));
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify({ application: "ord", aggs: { t: { terms: { field: "app_type", order: nine } } } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toBe("[order] takes at most 8 criteria");
    const tally = createTallyClient({ baseUrl: s.url, ...s.admin, retry: false });
    const order = Array.from({ length: 9 }, () => ({ path: "_key" }));
    await expect(
      tally.jobs.aggregateJobs({ application: "ord", aggs: { t: a.terms("app_type", { order }) } }),
    ).rejects.toMatchObject({
      rawMessage: "[order] takes at most 8 criteria",
    });
  });

  it("refuses what Elasticsearch refuses, in its words", async () => {
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify({
        application: "ord",
        aggs: { t: { terms: { field: "app_type", order: { nope: "asc" } } } },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/^Invalid aggregation order path \[nope\]/);
    const shard = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify({
        application: "ord",
        aggs: { t: { terms: { field: "app_type", shard_size: 100, show_term_doc_count_error: true } } },
      }),
    });
    expect(shard.status).toBe(200);
  });
});

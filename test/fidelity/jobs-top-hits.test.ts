// [jobs-dsl] top_hits as Elasticsearch answers it: per bucket, sorted, `size`/`from`, `_source`
// includes and excludes from the allowlist, `total` the bucket's jobs; only the caller's tenants' jobs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let ta: Credentials;
let tb: Credentials;
const job = (id: string, type: string, hour: number, ms: number, state = "OK") => ({
  application: "hits",
  app_type: type,
  domain: "d",
  region: "r",
  "@timestamp": `2024-05-01T0${hour}:00:00Z`,
  job: { id, name: `job ${id}`, state, duration_ms: ms, attributes: { host: `host-${id}` } },
});

beforeAll(async () => {
  s = await startTestServer();
  ta = await createTenantWithClient(s, "ta", "root");
  tb = await createTenantWithClient(s, "tb", "root");
  const put = async (c: Credentials, jobs: unknown[]) =>
    expect((await restCall(s, c, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
  await put(ta, [
    job("h1", "ec2", 1, 30),
    job("h2", "ec2", 2, 10, "FAILED"),
    job("h3", "k8s", 3, 20),
    job("h4", "ec2", 4, 50),
  ]);
  // Another tenant's job, later and longer than all of them: it must never show.
  await put(tb, [job("h9", "ec2", 5, 99)]);
});
afterAll(async () => {
  await s?.stop();
});

async function aggs(body: unknown) {
  const res = await restCall(s, ta, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application: "hits", aggs: body }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe("jobs: top_hits", () => {
  it("per terms bucket: sorted by a field, its sort values, the included fields, the bucket's total", async () => {
    const { status, json } = await aggs({
      types: {
        terms: { field: "app_type" },
        aggs: {
          longest: {
            top_hits: {
              size: 2,
              sort: [{ "job.duration_ms": { order: "desc" } }],
              _source: { includes: ["job.id", "job.duration_ms"] },
            },
          },
        },
      },
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const [ec2, k8s] = json.data.aggregations.types.buckets;
    expect(ec2.longest).toEqual({
      hits: {
        total: { value: 3, relation: "eq" },
        max_score: null,
        hits: [
          { _index: "jobs", _id: "h4", _score: null, _source: { job: { id: "h4", duration_ms: 50 } }, sort: [50] },
          { _index: "jobs", _id: "h1", _score: null, _source: { job: { id: "h1", duration_ms: 30 } }, sort: [30] },
        ],
      },
    });
    expect(k8s.longest.hits.total).toEqual({ value: 1, relation: "eq" });
    expect(k8s.longest.hits.hits.map((h: any) => h._id)).toEqual(["h3"]);
  });

  it("top level: the latest job by default, only the caller's tenant, dates in _source as ISO 8601", async () => {
    const { json } = await aggs({
      latest: { top_hits: { size: 1, _source: ["@timestamp", "job.state", "job.attributes.host"] } },
    });
    expect(json.data.aggregations.latest.hits).toEqual({
      total: { value: 4, relation: "eq" },
      max_score: null,
      hits: [
        {
          _index: "jobs",
          _id: "h4",
          _score: null,
          _source: { "@timestamp": "2024-05-01T04:00:00.000Z", job: { state: "OK", attributes: { host: "host-h4" } } },
        },
      ],
    });
  });

  it("from skips, _source false drops the source, prefix patterns and excludes pick fields", async () => {
    const { json } = await aggs({
      second: { top_hits: { from: 1, size: 1, sort: ["job.duration_ms"], _source: false } },
      fields: {
        top_hits: {
          size: 1,
          sort: [{ "@timestamp": "asc" }],
          _source: { includes: ["job.*"], excludes: ["job.attributes", "job.started_at", "job.finished_at"] },
        },
      },
    });
    // ascending durations 10 (h2), 20 (h3), 30, 50: from 1 → h3.
    expect(json.data.aggregations.second.hits.hits).toEqual([{ _index: "jobs", _id: "h3", _score: null, sort: [20] }]);
    expect(json.data.aggregations.fields.hits.hits[0]).toEqual({
      _index: "jobs",
      _id: "h1",
      _score: null,
      _source: { job: { id: "h1", name: "job h1", state: "OK", duration_ms: 30 } },
      sort: [Date.parse("2024-05-01T01:00:00Z")],
    });
  });

  it("refuses what Elasticsearch refuses, and fields outside the allowlist", async () => {
    expect((await aggs({ t: { top_hits: { size: 101 } } })).json.detail).toBe(
      "Top hits result window is too large, the top hits aggregator [t]'s from + size must be less than or equal to: [100] but was [101]. This limit can be set by changing the [index.max_inner_result_window] index level setting.",
    );
    for (const body of [
      { t: { top_hits: { _source: ["tenantId"] } } },
      { t: { top_hits: { sort: ["tenantId"] } } },
      { t: { top_hits: { script_fields: { x: { script: "1" } } } } },
    ]) {
      const r = await aggs(body);
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.status_code).toBe(400);
    }
  });
});

// Every input the jobs DSL gained has a ceiling checked while the request is validated, before any
// read: each oversized case below is a 400 in Elasticsearch's error shape naming what was too much.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
const hist = (aggs: Record<string, unknown>) => ({
  h: {
    date_histogram: { field: "@timestamp", calendar_interval: "day" },
    aggs: { m: { sum: { field: "job.duration_ms" } }, ...aggs },
  },
});

const cases: [string, Record<string, unknown>, RegExp][] = [
  [
    "buckets_path over 512 characters",
    { ...hist({}), a: { avg_bucket: { buckets_path: `h>${"m".repeat(600)}` } } },
    /buckets_path\] is too long/,
  ],
  [
    "percentiles_bucket with 101 percents",
    { ...hist({}), p: { percentiles_bucket: { buckets_path: "h>m", percents: times(101, (i) => i % 100) } } },
    /at most 100 values/,
  ],
  [
    "percentile_ranks with 101 values",
    { r: { percentile_ranks: { field: "job.duration_ms", values: times(101, (i) => i) } } },
    /at most 100 values/,
  ],
  [
    "range with 1,001 ranges",
    { r: { range: { field: "job.duration_ms", ranges: times(1001, (i) => ({ from: i })) } } },
    /at most 1000 ranges/,
  ],
  [
    "date_range with 1,001 ranges",
    { r: { date_range: { field: "@timestamp", ranges: times(1001, () => ({ from: "now-1d" })) } } },
    /at most 1000 ranges/,
  ],
  [
    "composite with 11 sources",
    { c: { composite: { sources: times(11, (i) => ({ [`s${i}`]: { terms: { field: "app_type" } } })) } } },
    /at most 10 sources/,
  ],
  [
    "composite size over search.max_buckets",
    { c: { composite: { size: 65_537, sources: [{ t: { terms: { field: "app_type" } } }] } } },
    /too many buckets/,
  ],
  [
    "multi_terms over 8 fields",
    { m: { multi_terms: { terms: times(9, () => ({ field: "app_type" })) } } },
    /at most 8 fields/,
  ],
  ["terms size over search.max_buckets", { t: { terms: { field: "app_type", size: 65_537 } } }, /too many buckets/],
  [
    "date format over 128 characters",
    { d: { date_histogram: { field: "@timestamp", calendar_interval: "day", format: "y".repeat(129) } } },
    /\[format\] is too long/,
  ],
  [
    "top_hits _source with 65 patterns",
    { t: { top_hits: { _source: times(65, () => "job.id") } } },
    /at most 64 patterns/,
  ],
  ["top_hits sort with 9 criteria", { t: { top_hits: { sort: times(9, () => "job.id") } } }, /at most 8 criteria/],
  ["bucket_sort with 9 criteria", hist({ b: { bucket_sort: { sort: times(9, () => "m") } } }), /at most 8 criteria/],
  [
    "top_metrics size 11",
    { t: { top_metrics: { metrics: [{ field: "job.id" }], sort: { "@timestamp": "desc" }, size: 11 } } },
    /must not be more than \[10\]/,
  ],
  [
    "top_metrics with 17 metrics",
    { t: { top_metrics: { metrics: times(17, () => ({ field: "job.id" })), sort: { "@timestamp": "desc" } } } },
    /1 to 16 fields/,
  ],
  [
    "auto_date_histogram buckets 10,001",
    { a: { auto_date_histogram: { field: "@timestamp", buckets: 10_001 } } },
    /between 1 and 10000/,
  ],
  [
    "moving_fn window 10,001",
    hist({ f: { moving_fn: { buckets_path: "m", window: 10_001, script: "MovingFunctions.max(values)" } } }),
    /at most 10000/,
  ],
  [
    "moving_fn script over 200 characters",
    hist({
      f: { moving_fn: { buckets_path: "m", window: 2, script: `MovingFunctions.max(values)${" ".repeat(300)};` } },
    }),
    /accepts only a built-in MovingFunctions call/,
  ],
  ["wildcard with four *", { t: { filter: { wildcard: { "job.name": "*a*b*c*" } } } }, /more than 3 '\*'/],
  [
    "minimum_should_match in a form Tally does not take",
    { t: { filter: { bool: { should: [{ term: { app_type: "a" } }], minimum_should_match: "3<90%" } } } },
    /minimum_should_match\] must be an integer or a percentage/,
  ],
  [
    "five second-read aggregations",
    Object.fromEntries(times(5, (i) => [`a${i}`, { auto_date_histogram: { field: "@timestamp" } }])),
    /at most 4 median_absolute_deviation/,
  ],
];

describe("jobs DSL: every new input is bounded before any read", () => {
  for (const [name, aggs, detail] of cases) {
    it(name, async () => {
      const res = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify({ aggs }) });
      const body = (await res.json()) as { status_code: number; detail: string };
      expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(400);
      expect(body.status_code).toBe(400);
      expect(body.detail).toMatch(detail);
    });
  }

  it("ids with more values than index.max_terms_count", async () => {
    const query = { ids: { values: times(65_537, (i) => `j${i}`) } };
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify({ query }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/more than 65536 ids/);
  });
});

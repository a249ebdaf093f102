// [jobs-dsl] More metrics as Elasticsearch answers them: extended_stats (with sigma), weighted_avg,
// percentile_ranks (exact here: the share of values at or below), top_metrics; hand-computed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJobs, postJobsAggs, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
// durations 10, 20, 30, 40 with weights (attribute w) 1, 1, 2, missing.
const rows: [number, number | undefined][] = [
  [10, 1],
  [20, 1],
  [30, 2],
  [40, undefined],
];

beforeAll(async () => {
  s = await startTestServer();
  const jobs = rows.map(([ms, w], i) => ({
    application: "more",
    app_type: "ec2",
    domain: "d",
    region: "r",
    "@timestamp": `2024-05-01T0${i}:00:00Z`,
    job: { id: `m-${i}`, name: "n", state: "OK", duration_ms: ms, attributes: w === undefined ? {} : { w } },
  }));
  expect(await postJobs(s, jobs)).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function run(aggs: unknown) {
  const { status, json } = await postJobsAggs(s, "more", aggs);
  expect(status, JSON.stringify(json)).toBe(200);
  return json.data.aggregations;
}

describe("jobs: more metrics", () => {
  it("extended_stats with sigma 1", async () => {
    const r = await run({ e: { extended_stats: { field: "job.duration_ms", sigma: 1 } } });
    // Σx = 100, Σx² = 3000, n = 4: variance 3000/4 − 25² = 125; sample 500/3.
    const std = Math.sqrt(125);
    const stdS = Math.sqrt(500 / 3);
    expect(r.e).toEqual({
      count: 4,
      min: 10,
      max: 40,
      avg: 25,
      sum: 100,
      sum_of_squares: 3000,
      variance: 125,
      variance_population: 125,
      variance_sampling: 500 / 3,
      std_deviation: std,
      std_deviation_population: std,
      std_deviation_sampling: stdS,
      std_deviation_bounds: {
        upper: 25 + std,
        lower: 25 - std,
        upper_population: 25 + std,
        lower_population: 25 - std,
        upper_sampling: 25 + stdS,
        lower_sampling: 25 - stdS,
      },
    });
  });

  it("weighted_avg skips jobs without a weight; percentile_ranks; top_metrics by a sort", async () => {
    const r = await run({
      w: { weighted_avg: { value: { field: "job.duration_ms" }, weight: { field: "job.attributes.w" } } },
      ranks: { percentile_ranks: { field: "job.duration_ms", values: [20, 35, 5] } },
      ranks_list: { percentile_ranks: { field: "job.duration_ms", values: [30], keyed: false } },
      top: {
        top_metrics: {
          metrics: [{ field: "job.duration_ms" }, { field: "job.id" }],
          sort: { "@timestamp": "desc" },
          size: 2,
        },
      },
    });
    // (10·1 + 20·1 + 30·2) / 4 = 22.5
    expect(r.w).toEqual({ value: 22.5 });
    expect(r.ranks).toEqual({ values: { "20.0": 50, "35.0": 75, "5.0": 0 } });
    expect(r.ranks_list).toEqual({ values: [{ key: 30, value: 75 }] });
    expect(r.top).toEqual({
      top: [
        { sort: [Date.parse("2024-05-01T03:00:00Z")], metrics: { "job.duration_ms": 40, "job.id": "m-3" } },
        { sort: [Date.parse("2024-05-01T02:00:00Z")], metrics: { "job.duration_ms": 30, "job.id": "m-2" } },
      ],
    });
  });

  it("median_absolute_deviation at the top level and under a filter; refused inside terms", async () => {
    const r = await run({
      mad: { median_absolute_deviation: { field: "job.duration_ms" } },
      ok: {
        filter: { term: { "job.state": "OK" } },
        aggs: { mad: { median_absolute_deviation: { field: "job.duration_ms" } } },
      },
    });
    // median 20 (MongoDB's nearest rank; Elasticsearch interpolates 25), deviations 10, 0, 10, 20 → 10 either way
    expect(r.mad).toEqual({ value: 10 });
    expect(r.ok.mad).toEqual({ value: 10 });
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify({
        aggs: {
          t: { terms: { field: "app_type" }, aggs: { m: { median_absolute_deviation: { field: "job.duration_ms" } } } },
        },
      }),
    });
    expect(res.status).toBe(400);
    // Each MAD reads the jobs again: a request may ask for at most four, refused before any read.
    const five = Object.fromEntries(
      [1, 2, 3, 4, 5].map((i) => [`m${i}`, { median_absolute_deviation: { field: "job.duration_ms" } }]),
    );
    const many = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify({ aggs: five }) });
    expect(many.status).toBe(400);
    expect(((await many.json()) as any).detail).toMatch(/^at most 4 median_absolute_deviation/);
  });
});

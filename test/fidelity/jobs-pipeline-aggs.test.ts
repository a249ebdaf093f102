// [jobs-dsl] Elasticsearch's pipeline aggregations over a daily date histogram with a gap, every answer
// computed by hand from the documents below with Elasticsearch's rules (gap_policy skip by default,
// cumulative_sum inserting zeros, _count never a gap, percentiles_bucket by nearest rank).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggs as a, createTallyClient } from "@tally/sdk";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
// Durations per day (May 2024): the 3rd has no jobs.
const days: [string, number[]][] = [
  ["2024-05-01", [10, 20]], // sum 30, 2 jobs
  ["2024-05-02", [50]], // 50, 1
  ["2024-05-04", [5, 15, 40]], // 60, 3
  ["2024-05-05", [100]], // 100, 1
];
const day = (d: number) => `2024-05-0${d}T00:00:00.000Z`;

beforeAll(async () => {
  s = await startTestServer();
  const jobs = days.flatMap(([date, ms], d) =>
    ms.map((v, i) => ({
      application: "pipe",
      app_type: "ec2",
      domain: "d",
      region: "r",
      "@timestamp": `${date}T0${i}:00:00Z`,
      job: { id: `p-${d}-${i}`, name: "n", state: "OK", duration_ms: v },
    })),
  );
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function post(aggs: unknown): Promise<{ status: number; json: any }> {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application: "pipe", aggs }),
  });
  return { status: res.status, json: await res.json() };
}

const perDay = (aggs: Record<string, unknown>) => ({
  date_histogram: { field: "@timestamp", calendar_interval: "day" },
  aggs: { sales: { sum: { field: "job.duration_ms" } }, ...aggs },
});

describe("jobs: parent pipeline aggregations", () => {
  it("derivative, cumulative_sum, serial_diff and moving_fn per bucket, with Elasticsearch's gaps", async () => {
    const { status, json } = await post({
      per_day: perDay({
        d: { derivative: { buckets_path: "sales" } },
        d0: { derivative: { buckets_path: "sales", gap_policy: "insert_zeros", unit: "1h" } },
        dc: { derivative: { buckets_path: "_count" } },
        cs: { cumulative_sum: { buckets_path: "sales" } },
        sd: { serial_diff: { buckets_path: "sales", lag: 2 } },
        mf: { moving_fn: { buckets_path: "sales", window: 2, script: "MovingFunctions.unweightedAvg(values)" } },
        cs_of_d: { cumulative_sum: { buckets_path: "d0" } },
      }),
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const b = json.data.aggregations.per_day.buckets;
    expect(b.map((x: any) => [x.key_as_string, x.doc_count, x.sales.value])).toEqual([
      [day(1), 2, 30],
      [day(2), 1, 50],
      [day(3), 0, 0],
      [day(4), 3, 60],
      [day(5), 1, 100],
    ]);
    // skip: the empty day has no value, so both derivatives touching it are null.
    expect(b.map((x: any) => x.d)).toEqual([undefined, { value: 20 }, { value: null }, { value: null }, { value: 40 }]);
    // insert_zeros: the empty day counts 0; per hour on daily buckets: / 24.
    expect(b.map((x: any) => x.d0)).toEqual([
      undefined,
      { value: 20, normalized_value: 20 / 24 },
      { value: -50, normalized_value: -50 / 24 },
      { value: 60, normalized_value: 60 / 24 },
      { value: 40, normalized_value: 40 / 24 },
    ]);
    expect(b.map((x: any) => x.dc?.value)).toEqual([undefined, -1, -1, 3, -2]);
    expect(b.map((x: any) => x.cs.value)).toEqual([30, 80, 80, 140, 240]);
    // lag 2: only the 4th day has a value both now and two buckets back (60 − 50).
    expect(b.map((x: any) => x.sd?.value)).toEqual([undefined, undefined, undefined, 10, undefined]);
    // the window holds the previous (non-gap) values: [], [30], (gap), [30, 50], [50, 60].
    expect(b.map((x: any) => x.mf?.value)).toEqual([null, 30, undefined, 40, 55]);
    // cumulative_sum reads with insert_zeros, which zeroes an empty bucket whatever its value (the
    // 3rd day's −50 derivative counts 0), and a bucket without the value (the first).
    expect(b.map((x: any) => x.cs_of_d?.value)).toEqual([0, 20, 20, 80, 120]);
  });

  it("bucket_sort orders by a metric, drops buckets without a value (skip) and keeps size", async () => {
    const { json } = await post({
      top: perDay({ by_sales: { bucket_sort: { sort: [{ sales: { order: "desc" } }], size: 2 } } }),
      tail: perDay({ t: { bucket_sort: { from: 3 } } }),
      by_key: perDay({ k: { bucket_sort: { sort: [{ _key: "desc" }], size: 1 } } }),
    });
    const keysOf = (name: string) => json.data.aggregations[name].buckets.map((x: any) => x.key_as_string);
    expect(keysOf("top")).toEqual([day(5), day(4)]);
    expect(keysOf("tail")).toEqual([day(4), day(5)]);
    expect(keysOf("by_key")).toEqual([day(5)]);
  });

  it("refuses a parent pipeline outside a histogram, as Elasticsearch validates it", async () => {
    const top = await post({ d: { derivative: { buckets_path: "x" } } });
    expect(top).toEqual({
      status: 400,
      json: {
        status_code: 400,
        detail:
          "Validation Failed: 1: derivative aggregation [d] must have a histogram, date_histogram or auto_date_histogram as parent but doesn't have a parent;",
      },
    });
    const underTerms = await post({
      t: { terms: { field: "app_type" }, aggs: { c: { cumulative_sum: { buckets_path: "_count" } } } },
    });
    expect(underTerms.json.detail).toBe(
      "Validation Failed: 1: cumulative_sum aggregation [c] must have a histogram, date_histogram or auto_date_histogram as parent;",
    );
    const minDoc = await post({
      h: {
        date_histogram: { field: "@timestamp", calendar_interval: "day", min_doc_count: 1 },
        aggs: { d: { derivative: { buckets_path: "_count" } } },
      },
    });
    expect(minDoc.json.detail).toBe(
      "Validation Failed: 1: parent histogram of derivative aggregation [d] must have min_doc_count of 0;",
    );
  });
});

describe("jobs: sibling pipeline aggregations", () => {
  it("avg/sum/min/max/stats/extended_stats/percentiles over the days' sums (the empty day skipped)", async () => {
    const { status, json } = await post({
      per_day: perDay({}),
      avg: { avg_bucket: { buckets_path: "per_day>sales" } },
      sum: { sum_bucket: { buckets_path: "per_day>sales" } },
      min: { min_bucket: { buckets_path: "per_day>sales" } },
      max: { max_bucket: { buckets_path: "per_day>sales" } },
      stats: { stats_bucket: { buckets_path: "per_day>sales" } },
      ext: { extended_stats_bucket: { buckets_path: "per_day>sales" } },
      pct: { percentiles_bucket: { buckets_path: "per_day>sales", percents: [25, 50, 100] } },
      pct_list: { percentiles_bucket: { buckets_path: "per_day>sales", percents: [50], keyed: false } },
      avg_zeros: { avg_bucket: { buckets_path: "per_day>sales", gap_policy: "insert_zeros" } },
      avg_count: { avg_bucket: { buckets_path: "per_day>_count" } },
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const r = json.data.aggregations;
    expect(r.avg).toEqual({ value: 60 });
    expect(r.sum).toEqual({ value: 240 });
    expect(r.min).toEqual({ value: 30, keys: [day(1)] });
    expect(r.max).toEqual({ value: 100, keys: [day(5)] });
    expect(r.stats).toEqual({ count: 4, min: 30, max: 100, avg: 60, sum: 240 });
    // Σx² = 17000; population variance 17000/4 − 60² = 650; sample variance 2600/3.
    const std = Math.sqrt(650);
    const stdS = Math.sqrt(2600 / 3);
    expect(r.ext).toEqual({
      count: 4,
      min: 30,
      max: 100,
      avg: 60,
      sum: 240,
      sum_of_squares: 17000,
      variance: 650,
      variance_population: 650,
      variance_sampling: 2600 / 3,
      std_deviation: std,
      std_deviation_population: std,
      std_deviation_sampling: stdS,
      std_deviation_bounds: {
        upper: 60 + 2 * std,
        lower: 60 - 2 * std,
        upper_population: 60 + 2 * std,
        lower_population: 60 - 2 * std,
        upper_sampling: 60 + 2 * stdS,
        lower_sampling: 60 - 2 * stdS,
      },
    });
    // sorted 30, 50, 60, 100: index round(p/100 · 3) → 1, 2 (1.5 rounds up), 3.
    expect(r.pct).toEqual({ values: { "25.0": 50, "50.0": 60, "100.0": 100 } });
    expect(r.pct_list).toEqual({ values: [{ key: 50, value: 60 }] });
    expect(r.avg_zeros).toEqual({ value: 48 });
    expect(r.avg_count).toEqual({ value: 1.4 });
  });

  it("inside buckets too, through the typed client", async () => {
    const client = createTallyClient({
      baseUrl: s.url,
      clientId: s.admin.clientId,
      clientSecret: s.admin.clientSecret,
    });
    const res = await client.jobs.aggregateJobs({
      application: "pipe",
      aggs: {
        types: a.terms(
          "app_type",
          {},
          {
            per_day: a.dateHistogram(
              "@timestamp",
              { calendarInterval: "day" },
              {
                sales: a.sum("job.duration_ms"),
                d: a.derivative("sales"),
              },
            ),
            best: a.maxBucket("per_day>sales"),
            deltas: a.avgBucket("per_day>d"),
          },
        ),
      },
    });
    const types = res.data!.aggregations.types!.result;
    expect(types.case).toBe("buckets");
    const ec2 = types.case === "buckets" ? types.value.buckets[0]! : undefined;
    const best = ec2!.aggregations.best!.result;
    expect(best.case === "bucketValue" && [best.value.value, best.value.keys]).toEqual([100, [day(5)]]);
    // derivatives 20, null, null, 40 → their average skips the nulls: 30.
    const deltas = ec2!.aggregations.deltas!.result;
    expect(deltas.case === "value" && deltas.value.value).toBe(30);
  });

  it("refuses bad paths, gap policies and any script with Elasticsearch's error shape", async () => {
    const cases: [unknown, string][] = [
      [
        { per_day: perDay({}), x: { avg_bucket: { buckets_path: "per_day>nope" } } },
        "No aggregation found for path [per_day>nope]",
      ],
      [{ x: { avg_bucket: { buckets_path: "nope>sales" } } }, "No aggregation found for path [nope>sales]"],
      [
        {
          per_day: perDay({ st: { stats: { field: "job.duration_ms" } } }),
          x: { avg_bucket: { buckets_path: "per_day>st" } },
        },
        "buckets_path must reference either a number value or a single value numeric metric aggregation, but [st] contains multiple values. Please specify which to use.",
      ],
      [
        { per_day: perDay({}), x: { avg_bucket: { buckets_path: "per_day>sales", gap_policy: "zero" } } },
        "Invalid gap policy: [zero], accepted values: [insert_zeros, skip, keep_values]",
      ],
      [
        { per_day: perDay({ b: { bucket_script: { buckets_path: { s: "sales" }, script: "params.s * 2" } } }) },
        "[bucket_script] aggregation [b] is not supported: Tally runs no scripts",
      ],
      [
        { per_day: perDay({ b: { bucket_selector: { buckets_path: { s: "sales" }, script: "true" } } }) },
        "[bucket_selector] aggregation [b] is not supported: Tally runs no scripts",
      ],
    ];
    for (const [aggs, detail] of cases) {
      const r = await post(aggs);
      expect(r, JSON.stringify(aggs)).toEqual({ status: 400, json: { status_code: 400, detail } });
    }
    const script = await post({
      per_day: perDay({ m: { moving_fn: { buckets_path: "sales", window: 2, script: "java.lang.System.exit(0)" } } }),
    });
    expect(script.status).toBe(400);
    expect(script.json.detail).toMatch(/accepts only a built-in MovingFunctions call/);
  });
});

describe("jobs: one dashboard request, as the issue's definition of done names it", () => {
  it("date math, terms ordered by a sub-aggregation, composite paged to its end, top_hits, derivative, cumulative_sum and avg_bucket", async () => {
    const body = (after?: unknown) => ({
      application: "pipe",
      // The 5th is out: < 2024-05-05, rounded down to the day.
      query: { range: { "@timestamp": { gte: "2024-05-01||/d", lt: "2024-05-04||+1d/d" } } },
      aggs: {
        per_day: perDay({
          d: { derivative: { buckets_path: "sales" } },
          cs: { cumulative_sum: { buckets_path: "sales" } },
        }),
        avg_day: { avg_bucket: { buckets_path: "per_day>sales" } },
        longest: {
          terms: { field: "job.id", size: 2, order: { top: "desc" } },
          aggs: { top: { max: { field: "job.duration_ms" } } },
        },
        latest: { top_hits: { size: 1, sort: [{ "@timestamp": "desc" }], _source: ["job.id"] } },
        pages: {
          composite: { size: 1, sources: [{ type: { terms: { field: "app_type" } } }], ...(after ? { after } : {}) },
        },
      },
    });
    const ask = async (after?: unknown) => {
      const res = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify(body(after)) });
      const json = (await res.json()) as any;
      expect(res.status, JSON.stringify(json)).toBe(200);
      return json.data;
    };
    const first = await ask();
    expect(first.total).toBe(6);
    const a = first.aggregations;
    expect(a.per_day.buckets.map((b: any) => [b.key_as_string, b.sales.value, b.d?.value, b.cs.value])).toEqual([
      [day(1), 30, undefined, 30],
      [day(2), 50, 20, 80],
      [day(3), 0, null, 80],
      [day(4), 60, null, 140],
    ]);
    expect(a.avg_day).toEqual({ value: 140 / 3 });
    expect(a.longest.buckets.map((b: any) => [b.key, b.top.value])).toEqual([
      ["p-1-0", 50],
      ["p-2-2", 40],
    ]);
    expect(a.latest.hits.hits.map((h: any) => h._source)).toEqual([{ job: { id: "p-2-2" } }]);
    expect(a.pages).toEqual({ after_key: { type: "ec2" }, buckets: [{ key: { type: "ec2" }, doc_count: 6 }] });
    const second = await ask(a.pages.after_key);
    expect(second.aggregations.pages).toEqual({ buckets: [] });
  });
});

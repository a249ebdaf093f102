import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { TEST_KEK, createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let ops: Credentials;
let rival: Credentials;

const job = (
  id: string,
  o: { app?: string; type: string; domain: string; region: string; at: string; state: string; dur?: number },
) => ({
  application: o.app ?? "atr",
  app_type: o.type,
  domain: o.domain,
  region: o.region,
  "@timestamp": o.at,
  job: {
    id,
    name: `n-${id}`,
    state: o.state,
    ...(o.dur !== undefined ? { duration_ms: o.dur } : {}),
    attributes: { retries: 0 },
  },
});

const fixture = [
  job("j1", {
    type: "ec2",
    domain: "d1",
    region: "us-east-1",
    at: "2024-01-01T01:00:00Z",
    state: "SUCCEEDED",
    dur: 100,
  }),
  job("j2", { type: "ec2", domain: "d1", region: "eu-west-1", at: "2024-01-01T23:30:00Z", state: "FAILED", dur: 300 }),
  job("j3", {
    type: "kubernetes",
    domain: "d2",
    region: "us-east-1",
    at: "2024-01-03T12:00:00Z",
    state: "SUCCEEDED",
    dur: 200,
  }),
  job("j4", {
    type: "kubernetes",
    domain: "d2",
    region: "us-west-2",
    at: "2024-01-03T13:00:00Z",
    state: "FAILED",
    dur: 400,
  }),
  job("j5", { type: "lambda", domain: "d1", region: "us-east-1", at: "2024-01-08T00:00:00Z", state: "RUNNING" }),
  job("j6", {
    app: "billing",
    type: "ec2",
    domain: "d1",
    region: "us-east-1",
    at: "2024-01-02T00:00:00Z",
    state: "SUCCEEDED",
    dur: 1000,
  }),
];

async function aggs(creds: Credentials, body: unknown) {
  const res = await restCall(s, creds, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify(body),
    headers: { client_id: creds.clientId },
  });
  return { status: res.status, body: (await res.json()) as any };
}

const atr = (aggregations: unknown, extra: Record<string, unknown> = {}) => ({
  application: "atr",
  ...extra,
  aggs: aggregations,
});

beforeAll(async () => {
  s = await startTestServer();
  ops = await createTenantWithClient(s, "ops", "root");
  rival = await createTenantWithClient(s, "rival", "root");
  const ndjson = fixture.map((j) => JSON.stringify(j)).join("\n");
  const res = await restCall(s, ops, "/v3/jobs", {
    method: "POST",
    body: ndjson,
    headers: { "content-type": "application/x-ndjson" },
  });
  expect(await res.json()).toMatchObject({ result: { inserted: 6, rejected: 0 } });
  const r2 = await restCall(s, rival, "/v3/jobs", {
    method: "POST",
    body: JSON.stringify([
      job("j7", {
        type: "ec2",
        domain: "d1",
        region: "us-east-1",
        at: "2024-01-01T02:00:00Z",
        state: "FAILED",
        dur: 5,
      }),
    ]),
  });
  expect(r2.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

describe("POST /v3/jobs/aggs: filters and total", () => {
  it("total is exact under every filter", async () => {
    const total = async (extra: Record<string, unknown>) =>
      (await aggs(ops, { application: "atr", ...extra, aggs: {} })).body.data.total;
    expect(await total({})).toBe(5);
    expect(await total({ app_type: "ec2" })).toBe(2);
    expect(await total({ app_type: ["ec2", "kubernetes"], includes_eu: false })).toBe(3);
    expect(await total({ domain: "d2" })).toBe(2);
    expect(await total({ start_time: "2024-01-01T12:00:00Z", end_time: "2024-01-03T12:00:00Z" })).toBe(2);
    expect(
      await total({
        query: {
          bool: {
            must_not: [{ term: { "job.state": "RUNNING" } }],
            filter: [{ range: { "job.duration_ms": { gte: 200 } } }],
          },
        },
      }),
    ).toBe(3);
  });
});

describe("POST /v3/jobs/aggs: every aggregation, hand-computed", () => {
  it("terms: doc_count desc then key asc, size and sum_other_doc_count", async () => {
    const { body } = await aggs(
      ops,
      atr({ s: { terms: { field: "job.state" } }, top2: { terms: { field: "job.state", size: 2 } } }),
    );
    expect(body.data.aggregations.s).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 0,
      buckets: [
        { key: "FAILED", doc_count: 2 },
        { key: "SUCCEEDED", doc_count: 2 },
        { key: "RUNNING", doc_count: 1 },
      ],
    });
    expect(body.data.aggregations.top2.sum_other_doc_count).toBe(1);
  });

  it("date_histogram fixed 1d: epoch-aligned, empty buckets filled, min_doc_count, extended_bounds", async () => {
    const { body } = await aggs(
      ops,
      atr({
        d: { date_histogram: { field: "@timestamp", fixed_interval: "1d" } },
        d1: { date_histogram: { field: "@timestamp", fixed_interval: "1d", min_doc_count: 1 } },
        e: {
          date_histogram: {
            field: "@timestamp",
            calendar_interval: "day",
            extended_bounds: { min: "2023-12-30T00:00:00Z", max: "2024-01-09" },
          },
        },
      }),
    );
    const d = body.data.aggregations.d.buckets;
    expect(d.map((b: { doc_count: number }) => b.doc_count)).toEqual([2, 0, 2, 0, 0, 0, 0, 1]);
    expect(d[0]).toEqual({ key_as_string: "2024-01-01T00:00:00.000Z", key: 1704067200000, doc_count: 2 });
    expect(
      body.data.aggregations.d1.buckets.map((b: { key_as_string: string }) => b.key_as_string.slice(0, 10)),
    ).toEqual(["2024-01-01", "2024-01-03", "2024-01-08"]);
    const e = body.data.aggregations.e.buckets;
    expect(e).toHaveLength(11);
    expect(e[0].key_as_string).toBe("2023-12-30T00:00:00.000Z");
    expect(e.at(-1).key_as_string).toBe("2024-01-09T00:00:00.000Z");
  });

  it("calendar week starts Monday; month and quarter", async () => {
    const { body } = await aggs(
      ops,
      atr({
        w: { date_histogram: { field: "@timestamp", calendar_interval: "week" } },
        m: { date_histogram: { field: "@timestamp", calendar_interval: "1M" } },
        q: { date_histogram: { field: "@timestamp", calendar_interval: "quarter" } },
      }),
    );
    expect(body.data.aggregations.w.buckets).toEqual([
      { key_as_string: "2024-01-01T00:00:00.000Z", key: 1704067200000, doc_count: 4 },
      { key_as_string: "2024-01-08T00:00:00.000Z", key: 1704672000000, doc_count: 1 },
    ]);
    expect(body.data.aggregations.m.buckets).toEqual([
      { key_as_string: "2024-01-01T00:00:00.000Z", key: 1704067200000, doc_count: 5 },
    ]);
    expect(body.data.aggregations.q.buckets[0].doc_count).toBe(5);
  });

  it("time zones: days in local time, key_as_string with the offset", async () => {
    const { body } = await aggs(
      ops,
      atr({
        tz: {
          date_histogram: { field: "@timestamp", calendar_interval: "day", time_zone: "+02:00", min_doc_count: 1 },
        },
        paris: {
          date_histogram: { field: "@timestamp", fixed_interval: "1d", time_zone: "Europe/Paris", min_doc_count: 1 },
        },
      }),
    );
    // j1 (01:00Z) is 03:00 on Jan 1st; j2 (23:30Z) is 01:30 on Jan 2nd at +02:00.
    expect(body.data.aggregations.tz.buckets.slice(0, 2)).toEqual([
      { key_as_string: "2024-01-01T00:00:00.000+02:00", key: Date.parse("2023-12-31T22:00:00Z"), doc_count: 1 },
      { key_as_string: "2024-01-02T00:00:00.000+02:00", key: Date.parse("2024-01-01T22:00:00Z"), doc_count: 1 },
    ]);
    // Paris is +01:00 in January: j2 (23:30Z) is 00:30 on Jan 2nd.
    expect(
      body.data.aggregations.paris.buckets.map((b: { key_as_string: string; doc_count: number }) => [
        b.key_as_string,
        b.doc_count,
      ]),
    ).toEqual([
      ["2024-01-01T00:00:00.000+01:00", 1],
      ["2024-01-02T00:00:00.000+01:00", 1],
      ["2024-01-03T00:00:00.000+01:00", 2],
      ["2024-01-08T00:00:00.000+01:00", 1],
    ]);
  });

  it("histogram, range (keyed and not), missing", async () => {
    const { body } = await aggs(
      ops,
      atr({
        h: { histogram: { field: "job.duration_ms", interval: 200 } },
        r: { range: { field: "job.duration_ms", ranges: [{ to: 200 }, { from: 200, to: 400 }, { from: 400 }] } },
        rk: {
          range: {
            field: "job.duration_ms",
            keyed: true,
            ranges: [
              { key: "fast", to: 250 },
              { key: "slow", from: 250 },
            ],
          },
        },
        m: { missing: { field: "job.duration_ms" } },
      }),
    );
    const a = body.data.aggregations;
    expect(a.h.buckets).toEqual([
      { key: 0, doc_count: 1 },
      { key: 200, doc_count: 2 },
      { key: 400, doc_count: 1 },
    ]);
    expect(a.r.buckets).toEqual([
      { key: "*-200.0", to: 200, doc_count: 1 },
      { key: "200.0-400.0", from: 200, to: 400, doc_count: 2 },
      { key: "400.0-*", from: 400, doc_count: 1 },
    ]);
    expect(a.rk.buckets).toEqual({ fast: { to: 250, doc_count: 2 }, slow: { from: 250, doc_count: 2 } });
    expect(a.m).toEqual({ doc_count: 1 });
  });

  it("filter and filters with sub-aggregations and an other bucket", async () => {
    const { body } = await aggs(
      ops,
      atr({
        failed: {
          filter: { term: { "job.state": "FAILED" } },
          aggs: { avg_ms: { avg: { field: "job.duration_ms" } } },
        },
        f: {
          filters: {
            other_bucket: true,
            filters: { failed: { term: { "job.state": { value: "FAILED" } } }, ec2: { terms: { app_type: ["ec2"] } } },
          },
        },
      }),
    );
    expect(body.data.aggregations.failed).toEqual({ doc_count: 2, avg_ms: { value: 350 } });
    expect(body.data.aggregations.f).toEqual({
      buckets: { failed: { doc_count: 2 }, ec2: { doc_count: 2 }, _other_: { doc_count: 2 } },
    });
  });

  it("metrics: avg, sum, min, max, stats, value_count, cardinality, percentiles", async () => {
    const f = { field: "job.duration_ms" };
    const { body } = await aggs(
      ops,
      atr({
        avg: { avg: f },
        sum: { sum: f },
        min: { min: f },
        max: { max: f },
        stats: { stats: f },
        vc: { value_count: f },
        card: { cardinality: { field: "app_type" } },
        p: { percentiles: { ...f, percents: [50, 99.9] } },
      }),
    );
    expect(body.data.aggregations).toEqual({
      avg: { value: 250 },
      sum: { value: 1000 },
      min: { value: 100 },
      max: { value: 400 },
      stats: { count: 4, min: 100, max: 400, avg: 250, sum: 1000 },
      vc: { value: 4 },
      card: { value: 3 },
      p: { values: { "50.0": 200, "99.9": 400 } },
    });
  });

  it("nested: terms → date_histogram → avg, and terms → terms with per-parent sum_other_doc_count; empty buckets carry empty sub-aggs", async () => {
    const { body } = await aggs(
      ops,
      atr({
        by_type: {
          terms: { field: "app_type" },
          aggs: {
            per_day: {
              date_histogram: { field: "@timestamp", calendar_interval: "day" },
              aggs: { ms: { avg: { field: "job.duration_ms" } } },
            },
            states: { terms: { field: "job.state", size: 1 } },
          },
        },
      }),
    );
    const [ec2, k8s, lambda] = body.data.aggregations.by_type.buckets;
    expect(ec2.key).toBe("ec2");
    expect(ec2.per_day.buckets).toEqual([
      { key_as_string: "2024-01-01T00:00:00.000Z", key: 1704067200000, doc_count: 2, ms: { value: 200 } },
    ]);
    expect(k8s.states).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 1,
      buckets: [{ key: "FAILED", doc_count: 1 }],
    });
    expect(lambda).toMatchObject({
      key: "lambda",
      doc_count: 1,
      states: { buckets: [{ key: "RUNNING", doc_count: 1 }] },
    });
    const filled = await aggs(
      ops,
      atr({
        d: {
          date_histogram: { field: "@timestamp", fixed_interval: "1d" },
          aggs: { ms: { sum: { field: "job.duration_ms" } }, t: { terms: { field: "job.state" } } },
        },
      }),
    );
    expect(filled.body.data.aggregations.d.buckets[1]).toEqual({
      key_as_string: "2024-01-02T00:00:00.000Z",
      key: 1704153600000,
      doc_count: 0,
      ms: { value: 0 },
      t: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [] },
    });
  });

  it("the typed Connect client gets the same figures", async () => {
    const client = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "2" }));
    const res = await client.aggregateJobs(
      {
        application: "atr",
        aggs: {
          s: { kind: { case: "terms", value: { field: "job.state" } } },
          f: {
            kind: {
              case: "filter",
              value: { term: { "job.state": { kind: { case: "stringValue", value: "FAILED" } } } },
            },
          },
        },
      },
      { headers: { authorization: `Bearer ${await s.token(ops)}` } },
    );
    expect(res.data?.total).toBe(5n);
    const terms = res.data?.aggregations.s?.result;
    expect(terms?.case).toBe("buckets");
    expect(terms?.case === "buckets" && terms.value.buckets.map((b) => [b.key?.kind.value, b.docCount])).toEqual([
      ["FAILED", 2n],
      ["SUCCEEDED", 2n],
      ["RUNNING", 1n],
    ]);
    expect(res.data?.aggregations.f?.result).toMatchObject({ case: "single", value: { docCount: 2n } });
  });
});

describe("POST /v3/jobs/aggs: bad input → 400 with the documented body, nothing leaked", () => {
  const cases: [string, unknown, string][] = [
    ["unknown type", atr({ x: { geo_distance: {} } }), "Unknown aggregation type [geo_distance]"],
    [
      "two types",
      atr({ n: { terms: { field: "job.state" }, date_histogram: { field: "@timestamp" } } }),
      "Found two aggregation type definitions in [n]: [terms] and [date_histogram]",
    ],
    ["no type", atr({ n: { aggs: {} } }), "Missing definition for aggregation [n]"],
    [
      "2d calendar",
      atr({ n: { date_histogram: { field: "@timestamp", calendar_interval: "2d" } } }),
      "The supplied interval [2d] could not be parsed as a calendar interval.",
    ],
    [
      "2w fixed",
      atr({ n: { date_histogram: { field: "@timestamp", fixed_interval: "2w" } } }),
      "failed to parse setting [date_histogram.fixedInterval] with value [2w] as a time value: unit is missing or unrecognized",
    ],
    [
      "size 0",
      atr({ n: { terms: { field: "job.state", size: 0 } } }),
      "[size] must be greater than 0. Found [0] in [n]",
    ],
    [
      "field off the allowlist",
      atr({ n: { terms: { field: "tenantId" } } }),
      "Field [tenantId] is not an aggregatable or filterable field of jobs",
    ],
    [
      "field starting with $",
      atr({ n: { terms: { field: "$where" } } }),
      "Field [$where] is not an aggregatable or filterable field",
    ],
    ["$where as a query", atr({}, { query: { $where: "sleep(1000)" } }), "$where"],
    ["$where as an agg", atr({ n: { $where: "1" } }), "Unknown aggregation type [$where]"],
    [
      "inverted time range",
      atr({}, { start_time: "2024-02-01T00:00:00Z", end_time: "2024-01-01T00:00:00Z" }),
      "[start_time] must be before or equal to [end_time]",
    ],
    [
      "too many buckets",
      atr({
        n: { date_histogram: { field: "@timestamp", fixed_interval: "1ms", extended_bounds: { min: 0, max: 1e12 } } },
      }),
      "Trying to create too many buckets. Must be less than or equal to: [65536]",
    ],
    ["wrong JSON type", atr({ n: { terms: { field: "job.state", size: "lots" } } }), "size"],
    [
      "keyword metric",
      atr({ n: { avg: { field: "job.state" } } }),
      "Field [job.state] of type [keyword] is not supported for aggregation [avg]",
    ],
    [
      "sub-aggs under a metric",
      atr({ n: { avg: { field: "job.duration_ms" }, aggs: { x: { max: { field: "job.duration_ms" } } } } }),
      "Aggregator [n] of type [avg] cannot accept sub-aggregations",
    ],
  ];
  for (const [name, body, detail] of cases) {
    it(name, async () => {
      const r = await aggs(ops, body);
      expect(r.status).toBe(400);
      expect(r.body.status_code).toBe(400);
      expect(r.body.detail).toContain(detail);
      expect(JSON.stringify(r.body)).not.toContain("j7");
    });
  }

  it("unauthenticated and permission errors keep the product's body", async () => {
    const none = await fetch(`${s.url}/v3/jobs/aggs`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ status_code: 401, detail: "Invalid or missing access token" });
  });
});

describe("every aggregation type through the typed SDK", () => {
  it("builders + createTallyClient give the same figures as REST", async () => {
    const { createTallyClient, aggs: a, q } = await import("@tally/sdk");
    const { resultsJson } = await import("../../server/src/apis/jobs/rest-results.js");
    const f = "job.duration_ms";
    const sdkAggs = {
      terms: a.terms("job.state", { size: 2 }, { avg: a.avg(f) }),
      date: a.dateHistogram("@timestamp", { calendarInterval: "week" }, { max: a.max(f) }),
      fixed: a.dateHistogram("@timestamp", { fixedInterval: "1d", timeZone: "Europe/Paris", minDocCount: 1 }),
      hist: a.histogram(f, 200),
      range: a.range(f, [{ to: 200 }, { from: 200 }]),
      failed: a.filter(q.term("job.state", "FAILED"), { sum: a.sum(f) }),
      buckets: a.filters({ ec2: q.terms("app_type", ["ec2"]), slow: q.not(q.exists("job.attributes.none")) }),
      missing: a.missing(f),
      min: a.min(f),
      stats: a.stats(f),
      count: a.valueCount(f),
      card: a.cardinality("domain"),
      pct: a.percentiles(f, [50, 90]),
    };
    const restAggs = {
      terms: { terms: { field: "job.state", size: 2 }, aggs: { avg: { avg: { field: f } } } },
      date: {
        date_histogram: { field: "@timestamp", calendar_interval: "week" },
        aggs: { max: { max: { field: f } } },
      },
      fixed: {
        date_histogram: { field: "@timestamp", fixed_interval: "1d", time_zone: "Europe/Paris", min_doc_count: 1 },
      },
      hist: { histogram: { field: f, interval: 200 } },
      range: { range: { field: f, ranges: [{ to: 200 }, { from: 200 }] } },
      failed: { filter: { term: { "job.state": "FAILED" } }, aggs: { sum: { sum: { field: f } } } },
      buckets: {
        filters: {
          filters: {
            ec2: { terms: { app_type: ["ec2"] } },
            slow: { bool: { must_not: [{ exists: { field: "job.attributes.none" } }] } },
          },
        },
      },
      missing: { missing: { field: f } },
      min: { min: { field: f } },
      stats: { stats: { field: f } },
      count: { value_count: { field: f } },
      card: { cardinality: { field: "domain" } },
      pct: { percentiles: { field: f, percents: [50, 90] } },
    };
    const tally = createTallyClient({ baseUrl: s.url, ...ops });
    const res = await tally.jobs.aggregateJobs({ application: "atr", aggs: sdkAggs });
    const viaRest = await aggs(ops, atr(restAggs));
    expect(
      JSON.parse(
        JSON.stringify(resultsJson(res.data!.aggregations), (_k, v: unknown) =>
          typeof v === "bigint" ? Number(v) : v,
        ),
      ),
    ).toEqual(viaRest.body.data.aggregations);
    expect(viaRest.body.data.aggregations.stats).toEqual({ count: 4, min: 100, max: 400, avg: 250, sum: 1000 });
    expect(viaRest.body.data.aggregations.buckets.buckets).toEqual({ ec2: { doc_count: 2 }, slow: { doc_count: 5 } });
  });
});

describe("both execution strategies agree", () => {
  it("concurrent aggregates and one $facet give identical answers on the same data", async () => {
    const { startTally } = await import("../../server/src/server.js");
    const { loadConfig } = await import("../../server/src/platform/config.js");
    const { createLogger } = await import("../../server/src/platform/logger.js");
    const concurrent = await startTally(
      loadConfig({
        PORT: "0",
        LOG_LEVEL: "silent",
        MONGODB_URI: s.tally.database.embedded?.uri ?? process.env.TALLY_TEST_MONGODB_URI!,
        MONGODB_DB: s.tally.database.db.databaseName,
        TALLY_KEK: TEST_KEK,
        JOBS_AGG_STRATEGY: s.tally.database.embedded ? "concurrent" : "facet",
      }),
      createLogger("silent"),
    );
    try {
      const body = atr({
        s: {
          terms: { field: "job.state" },
          aggs: {
            d: {
              date_histogram: { field: "@timestamp", calendar_interval: "day" },
              aggs: { m: { max: { field: "job.duration_ms" } } },
            },
          },
        },
        r: {
          range: { field: "job.duration_ms", ranges: [{ to: 250 }, { from: 250 }] },
          aggs: { t: { terms: { field: "app_type" } } },
        },
        f: { filters: { filters: { a: { term: { app_type: "ec2" } } } } },
        p: { percentiles: { field: "job.duration_ms" } },
      });
      const viaFacet = await aggs(ops, body);
      const res = await fetch(`${concurrent.url}/v3/jobs/aggs`, {
        method: "POST",
        headers: { authorization: `Bearer ${await s.token(ops)}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(await res.json()).toEqual(viaFacet.body);
      expect(viaFacet.body.data.total).toBe(5);
    } finally {
      await concurrent.stop();
    }
  });
});

describe("ingest and tenancy", () => {
  it("re-sending a job updates it; bad items are named and the good ones land", async () => {
    const res = await restCall(s, ops, "/v3/jobs", {
      method: "POST",
      body: JSON.stringify([
        job("j6", {
          app: "billing",
          type: "ec2",
          domain: "d1",
          region: "us-east-1",
          at: "2024-01-02T00:00:00Z",
          state: "FAILED",
          dur: 1000,
        }),
        {
          ...job("bad1", { type: "ec2", domain: "d1", region: "x", at: "2024-01-01T00:00:00Z", state: "FAILED" }),
          "@timestamp": "yesterday",
        },
        { ...job("bad2", { type: "ec2", domain: "d1", region: "x", at: "2024-01-01T00:00:00Z", state: "failed" }) },
        {
          ...job("bad3", { type: "ec2", domain: "d1", region: "x", at: "2024-01-01T00:00:00Z", state: "OK" }),
          application: "",
        },
      ]),
    });
    const body = (await res.json()) as any;
    expect(body.result).toMatchObject({ inserted: 0, updated: 1, rejected: 3 });
    expect(body.result.rejections.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
      [1, "@timestamp"],
      [2, "job.state"],
      [3, "application"],
    ]);
    const billing = await aggs(ops, { application: "billing", aggs: { s: { terms: { field: "job.state" } } } });
    expect(billing.body.data).toEqual({
      total: 1,
      aggregations: {
        s: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [{ key: "FAILED", doc_count: 1 }] },
      },
    });
  });

  it("a client of another tenant sees none of these jobs, in total or any bucket", async () => {
    const { body } = await aggs(
      rival,
      atr({
        s: { terms: { field: "job.state" } },
        t: { date_histogram: { field: "@timestamp", calendar_interval: "day" } },
      }),
    );
    expect(body.data.total).toBe(1);
    expect(body.data.aggregations.s.buckets).toEqual([{ key: "FAILED", doc_count: 1 }]);
    const root = await aggs(s.admin, atr({}));
    expect(root.body.data.total).toBe(6);
  });

  it("the client_id header must match the token's client", async () => {
    const res = await restCall(s, ops, "/v3/jobs/aggs", {
      method: "POST",
      body: "{}",
      headers: { client_id: "someone" },
    });
    expect(res.status).toBe(401);
  });

  it("InvalidArgument over Connect for the same bad input", async () => {
    const client = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    const err = await client
      .aggregateJobs(
        { aggs: { n: { kind: { case: "terms", value: { field: "job.state", size: 0 } } } } },
        { headers: { authorization: `Bearer ${await s.token(ops)}` } },
      )
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "[size] must be greater than 0. Found [0] in [n]",
    });
  });
});

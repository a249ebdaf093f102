import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let moz: Credentials;
let other: Credentials;

async function post(creds: Credentials, path: string, body: unknown) {
  const res = await restCall(s, creds, path, { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, any>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

async function get(creds: Credentials, path: string, headers: Record<string, string> = {}) {
  const res = await restCall(s, creds, path, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

const base = {
  prefix: "build_id",
  channel: "nightly",
  version: "42",
  application: "Firefox",
  architecture: "x86",
  os: "Windows_NT",
  osVersion: "6.1",
  child: "false",
  label: "",
};
const gc = (date: string, histogram: number[], extra: Record<string, string> = {}) => ({
  ...base,
  date,
  metric: "GC_MS",
  histogram,
  sum: histogram.reduce((a, b) => a + b, 0) * 10,
  count: histogram.reduce((a, b) => a + b, 0),
  ...extra,
});

beforeAll(async () => {
  s = await startTestServer();
  moz = await createTenantWithClient(s, "moz", "root");
  other = await createTenantWithClient(s, "other", "root");
  for (const c of [moz, other]) {
    const defs = await post(c, "/telemetry/v1/metrics", {
      metrics: [
        {
          name: "GC_MS",
          kind: "exponential",
          buckets: [0, 1, 10, 100, 1000, 10000],
          description: "Time spent running JS GC (ms)",
        },
        { name: "SEARCH_COUNTS", kind: "count", buckets: [0, 1, 2], description: "Searches", keyed: true },
        { name: "CAT", kind: "categorical", labels: ["a", "b", "c"], description: "Categories" },
      ],
    });
    expect(defs.result).toMatchObject({ inserted: 3, rejected: 0 });
  }
  // Two batches for the same keys: merged element-wise.
  await post(moz, "/telemetry/v1/histograms", {
    batch_id: "b1",
    histograms: [
      gc("20150615", [1, 2, 3, 4, 5, 6]),
      gc("20150615", [10, 0, 0, 0, 0, 1], { os: "Linux", osVersion: "3.2" }),
      gc("20150616", [0, 0, 1, 0, 0, 0]),
      gc("20150615", [100, 100, 100, 100, 100, 100], { application: "Fennec", architecture: "arm", child: "content" }),
      { ...base, date: "20150615", metric: "SEARCH_COUNTS", label: "google", histogram: [1, 1, 1], sum: 3, count: 3 },
      { ...base, date: "20150615", metric: "SEARCH_COUNTS", label: "bing", histogram: [0, 2, 0], sum: 2, count: 2 },
      { ...base, prefix: "submission_date", date: "20150617", metric: "CAT", histogram: [5, 0, 1], sum: 0, count: 6 },
      {
        ...base,
        channel: "beta",
        version: "41",
        date: "20150601",
        metric: "GC_MS",
        histogram: [1, 1, 1, 1, 1, 1],
        sum: 6,
        count: 6,
      },
    ],
  });
  await post(moz, "/telemetry/v1/histograms", {
    batch_id: "b2",
    histograms: [gc("20150615", [1, 1, 1, 1, 1, 1]), gc("20150616", [0, 0, 0, 0, 0, 7])],
  });
  await post(other, "/telemetry/v1/histograms", {
    batch_id: "o1",
    histograms: [gc("20150615", [1000, 1000, 1000, 1000, 1000, 1000], { channel: "secret-channel" })],
  });
});
afterAll(async () => {
  await s?.stop();
});

describe("the seed's four curl examples", () => {
  it("GET /aggregates_by/build_id/channels/ → a top-level array", async () => {
    const r = await get(moz, "/aggregates_by/build_id/channels/");
    expect(r.status).toBe(200);
    expect(r.body).toEqual(["beta", "nightly"]);
  });

  it("GET /filters/?channel=nightly&version=42 → the options present", async () => {
    const r = await get(moz, "/filters/?channel=nightly&version=42");
    expect(r.body).toEqual({
      metric: ["CAT", "GC_MS", "SEARCH_COUNTS"],
      application: ["Fennec", "Firefox"],
      architecture: ["arm", "x86"],
      os: ["Linux,3.2", "Windows_NT,6.1"],
      child: ["false", "true"],
    });
  });

  it("GET /aggregates_by/build_id/channels/nightly/dates/ → date/version pairs, newest first", async () => {
    expect((await get(moz, "/aggregates_by/build_id/channels/nightly/dates/")).body).toEqual([
      { date: "20150616", version: "42" },
      { date: "20150615", version: "42" },
    ]);
  });

  it("GET aggregates with dates and os → buckets, data per date, kind, description", async () => {
    const r = await get(
      moz,
      "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615,20150616&metric=GC_MS&os=Windows_NT",
    );
    expect(r.status).toBe(200);
    // Windows_NT: 20150615 = [1..6] + [1]*6 (b2) + Fennec [100]*6; 20150616 = [0,0,1,0,0,0] + [0,0,0,0,0,7]
    expect(r.body).toEqual({
      buckets: [0, 1, 10, 100, 1000, 10000],
      data: [
        {
          date: "20150615",
          count: 21 + 6 + 600,
          sum: 210 + 60 + 6000,
          histogram: [102, 103, 104, 105, 106, 107],
          label: "",
        },
        { date: "20150616", count: 8, sum: 80, histogram: [0, 0, 1, 0, 0, 7], label: "" },
      ],
      kind: "exponential",
      description: "Time spent running JS GC (ms)",
    });
  });
});

describe("telemetry.js's call sequence and merging", () => {
  it("channels → dates (both prefixes) → aggregates with %2C-joined dates and repeated filter keys → filters", async () => {
    expect((await get(moz, "/aggregates_by/build_id/channels/")).status).toBe(200);
    expect((await get(moz, "/aggregates_by/submission_date/channels/")).body).toEqual(["nightly"]);
    expect((await get(moz, "/aggregates_by/build_id/channels/nightly/dates/")).status).toBe(200);
    expect((await get(moz, "/aggregates_by/submission_date/channels/nightly/dates/")).body).toEqual([
      { date: "20150617", version: "42" },
    ]);
    const r = await get(
      moz,
      "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615%2C20150616&metric=GC_MS&application=Firefox&os=Windows_NT&os=Linux&child=false",
    );
    // Firefox, both OSes, parent process: 20150615 = [1..6] + [10,0,0,0,0,1] + [1]*6
    expect(r.body.data[0]).toEqual({
      date: "20150615",
      count: 21 + 11 + 6,
      sum: 210 + 110 + 60,
      histogram: [12, 3, 4, 5, 6, 8],
      label: "",
    });
    expect((await get(moz, "/filters/?channel=nightly&version=42")).status).toBe(200);
  });

  it("child=content means true; keyed histograms give one entry per label; label filters", async () => {
    const child = await get(
      moz,
      "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615&metric=GC_MS&child=content",
    );
    expect(child.body.data).toEqual([
      { date: "20150615", count: 600, sum: 6000, histogram: [100, 100, 100, 100, 100, 100], label: "" },
    ]);
    const keyed = await get(
      moz,
      "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615&metric=SEARCH_COUNTS",
    );
    expect(keyed.body.data).toEqual([
      { date: "20150615", count: 2, sum: 2, histogram: [0, 2, 0], label: "bing" },
      { date: "20150615", count: 3, sum: 3, histogram: [1, 1, 1], label: "google" },
    ]);
    expect(
      (
        await get(
          moz,
          "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615&metric=SEARCH_COUNTS&label=google",
        )
      ).body.data,
    ).toHaveLength(1);
  });

  it("categorical buckets are labels; a replayed batch changes nothing", async () => {
    const r = await get(moz, "/aggregates_by/submission_date/channels/nightly/?version=42&dates=20150617&metric=CAT");
    expect(r.body).toMatchObject({
      buckets: ["a", "b", "c"],
      kind: "categorical",
      data: [{ histogram: [5, 0, 1], count: 6 }],
    });
    const replay = await post(moz, "/telemetry/v1/histograms", {
      batch_id: "b2",
      histograms: [gc("20150615", [9, 9, 9, 9, 9, 9])],
    });
    expect(replay.result).toMatchObject({ replayed: true });
    const after = await get(moz, "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150616&metric=GC_MS");
    expect(after.body.data[0].histogram).toEqual([0, 0, 1, 0, 0, 7]);
  });

  it("caching: ETag and 304; a day's max-age for submission_date", async () => {
    const url = "/aggregates_by/submission_date/channels/nightly/?version=42&dates=20150617&metric=CAT";
    const first = await get(moz, url);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get("cache-control")).toBe("private, max-age=86400");
    const again = await get(moz, url, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect((await get(moz, url, { "if-none-match": '"other"' })).status).toBe(200);
  });
});

describe("telemetry bad input and tenancy", () => {
  it("the documented statuses and texts", async () => {
    const agg = "/aggregates_by/build_id/channels/nightly/";
    const missing = await get(moz, `${agg}?version=42&metric=GC_MS`);
    expect(missing).toMatchObject({
      status: 404,
      body: { message: "Missing date or version or metric. All three are required." },
    });
    expect((await get(moz, `${agg}?dates=20150615&metric=GC_MS`)).status).toBe(404);
    expect((await get(moz, `${agg}?version=42&dates=20150615`)).status).toBe(404);
    const unknownParam = await get(moz, `${agg}?version=42&dates=20150615&metric=GC_MS&e10sEnabled=true`);
    expect(unknownParam.status).toBe(405);
    expect(unknownParam.headers.get("allow")).toBe(`${agg}?version=42&dates=20150615&metric=GC_MS`);
    expect((await get(moz, `${agg}?version=42&dates=20150615&metric=NOPE`)).body).toEqual({
      message: "Unknown metric: NOPE",
    });
    expect(
      (await get(moz, "/aggregates_by/build_id/channels/nope/?version=42&dates=20150615&metric=GC_MS")).status,
    ).toBe(404);
    expect((await get(moz, "/aggregates_by/build_id/channels/nope/dates/")).status).toBe(404);
    expect((await get(moz, `${agg}?version=42&dates=2015-06-15&metric=GC_MS`)).status).toBe(400);
    expect((await get(moz, "/aggregates_by/by_moon/channels/")).status).toBe(404);
    expect((await get(moz, "/filters/?channel=nightly")).status).toBe(404);
    expect((await get(moz, "/filters/?channel=nightly&version=1")).status).toBe(404);
  });

  it("a metric may have at most 1000 buckets (each is an accumulator of every read)", async () => {
    const r = await post(moz, "/telemetry/v1/metrics", {
      metrics: [
        { name: "WIDE_OK", kind: "linear", buckets: Array.from({ length: 1000 }, (_, i) => i), description: "ok" },
        { name: "TOO_WIDE", kind: "linear", buckets: Array.from({ length: 1001 }, (_, i) => i), description: "no" },
      ],
    });
    expect(r.result).toMatchObject({ inserted: 1, rejected: 1 });
    expect(r.result.rejections[0]).toMatchObject({
      index: 1,
      field: "buckets",
      reason: "at most 1000 buckets per metric",
    });
  });

  it("ingest rejects a histogram whose length doesn't match its metric, by index and field", async () => {
    const r = await post(moz, "/telemetry/v1/histograms", {
      batch_id: "bad-1",
      histograms: [
        gc("20150615", [1, 2, 3]),
        { ...gc("20150615", [1, 1, 1, 1, 1, 1]), metric: "UNDEFINED" },
        { ...gc("20150615", [1, 1, 1, 1, 1, 1]), date: "June" },
        gc("20150615", [1, 1, 1, 1, 1, 1], { label: "x" }),
      ],
    });
    expect(r.result.rejections.map((x: { index: number; field: string }) => [x.index, x.field])).toEqual([
      [0, "histogram"],
      [1, "metric"],
      [2, "date"],
      [3, "label"],
    ]);
    const noBatch = await restCall(s, moz, "/telemetry/v1/histograms", {
      method: "POST",
      body: JSON.stringify({ histograms: [] }),
    });
    expect(noBatch.status).toBe(400);
  });

  it("one tenant's channels, metrics and histograms never appear for another", async () => {
    expect((await get(other, "/aggregates_by/build_id/channels/")).body).toEqual(["secret-channel"]);
    expect((await get(moz, "/aggregates_by/build_id/channels/secret-channel/dates/")).status).toBe(404);
    const r = await get(other, "/aggregates_by/build_id/channels/nightly/?version=42&dates=20150615&metric=GC_MS");
    expect(r.status).toBe(404);
  });
});

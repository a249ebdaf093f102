import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  // One job at 01:30 EDT and one at 01:30 EST on the day New York's clocks go back.
  const jobs = ["2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z"].map((ts, i) => ({
    application: "dst",
    "@timestamp": ts,
    job: { id: `d${i}`, state: "OK" },
  }));
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

const hist = (tz: string, min: string, max: string) => ({
  application: "dst",
  query: { range: { "@timestamp": { gte: min, lte: max } } },
  aggs: {
    h: {
      date_histogram: {
        field: "@timestamp",
        calendar_interval: "hour",
        time_zone: tz,
        min_doc_count: 0,
        extended_bounds: { min, max },
      },
    },
  },
});

describe("jobs date_histogram across DST changes", () => {
  it("hourly buckets with extended_bounds across New York's fall-back answer at once: 25 local hours, the repeated hour twice", async () => {
    const t0 = performance.now();
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify(hist("America/New_York", "2024-11-03T04:00:00Z", "2024-11-04T04:59:59Z")),
    });
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(2000);
    const buckets = (
      (await res.json()) as {
        data: { aggregations: { h: { buckets: { key: number; key_as_string: string; doc_count: number }[] } } };
      }
    ).data.aggregations.h.buckets;
    expect(buckets).toHaveLength(25);
    expect(new Set(buckets.map((b) => b.key)).size).toBe(25);
    const withDocs = buckets.filter((b) => b.doc_count > 0);
    expect(withDocs.map((b) => b.key_as_string)).toEqual([
      "2024-11-03T01:00:00.000-04:00",
      "2024-11-03T01:00:00.000-05:00",
    ]);
  });

  it("spring forward: 23 hourly buckets that day; Kathmandu's +05:45 and Lord Howe's 30-minute change finish too", async () => {
    const ny = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify(hist("America/New_York", "2024-03-10T05:00:00Z", "2024-03-11T03:59:59Z")),
    });
    expect(
      ((await ny.json()) as { data: { aggregations: { h: { buckets: unknown[] } } } }).data.aggregations.h.buckets,
    ).toHaveLength(23);
    for (const tz of ["Asia/Kathmandu", "Australia/Lord_Howe"]) {
      const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
        method: "POST",
        body: JSON.stringify(hist(tz, "2024-04-05T00:00:00Z", "2024-04-08T00:00:00Z")),
      });
      expect(res.status, tz).toBe(200);
      const keys = (
        (await res.json()) as { data: { aggregations: { h: { buckets: { key: number }[] } } } }
      ).data.aggregations.h.buckets.map((b) => b.key);
      for (let i = 1; i < keys.length; i++) expect(keys[i]!, tz).toBeGreaterThan(keys[i - 1]!);
    }
  });
});

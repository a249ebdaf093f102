// [jobs-dsl] histogram and date_histogram options: hard_bounds, keyed, order, and date `format` for
// key_as_string; hand-computed from the jobs below.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJobs, postJobsAggs, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
// durations 5, 15, 15, 25, 45 on 1, 1, 2, 3, 3 May
const rows: [number, number][] = [
  [1, 5],
  [1, 15],
  [2, 15],
  [3, 25],
  [3, 45],
];

beforeAll(async () => {
  s = await startTestServer();
  const jobs = rows.map(([day, ms], i) => ({
    application: "ho",
    app_type: "ec2",
    domain: "d",
    region: "r",
    "@timestamp": `2024-05-0${day}T1${i}:00:00Z`,
    job: { id: `ho-${i}`, name: "n", state: "OK", duration_ms: ms },
  }));
  expect(await postJobs(s, jobs)).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

const run = (aggs: unknown) => postJobsAggs(s, "ho", aggs);

describe("jobs: histogram options", () => {
  // The 45 falls in bucket 40, outside [10, 40); empty buckets are filled only between the data's keys.
  it("hard_bounds keeps keys in [min, max); keyed histograms keep their key inside", async () => {
    const { json } = await run({
      h: { histogram: { field: "job.duration_ms", interval: 10, hard_bounds: { min: 10, max: 40 }, keyed: true } },
    });
    expect(json.data.aggregations.h.buckets).toEqual({
      "10.0": { key: 10, doc_count: 2 },
      "20.0": { key: 20, doc_count: 1 },
    });
  });

  it("order by _count then _key, and by a metric", async () => {
    const { json } = await run({
      byCount: {
        histogram: {
          field: "job.duration_ms",
          interval: 10,
          min_doc_count: 1,
          order: [{ _count: "desc" }, { _key: "desc" }],
        },
      },
      byMax: {
        date_histogram: { field: "@timestamp", calendar_interval: "day", order: { top: "desc" } },
        aggs: { top: { max: { field: "job.duration_ms" } } },
      },
    });
    const a = json.data.aggregations;
    expect(a.byCount.buckets.map((b: any) => [b.key, b.doc_count])).toEqual([
      [10, 2],
      [40, 1],
      [20, 1],
      [0, 1],
    ]);
    expect(a.byMax.buckets.map((b: any) => [b.key_as_string, b.top.value])).toEqual([
      ["2024-05-03T00:00:00.000Z", 45],
      // a tie on the metric: the key ascending breaks it, as Elasticsearch adds it
      ["2024-05-01T00:00:00.000Z", 15],
      ["2024-05-02T00:00:00.000Z", 15],
    ]);
  });

  it("format prints key_as_string (and keys a keyed date histogram), in the zone", async () => {
    const { json } = await run({
      d: { date_histogram: { field: "@timestamp", calendar_interval: "day", format: "yyyy-MM-dd", keyed: true } },
      z: {
        date_histogram: {
          field: "@timestamp",
          calendar_interval: "day",
          format: "dd MMM yyyy HH:mm XXX",
          time_zone: "+02:00",
        },
      },
      e: { date_histogram: { field: "@timestamp", calendar_interval: "day", format: "epoch_millis" } },
    });
    const a = json.data.aggregations;
    expect(Object.keys(a.d.buckets)).toEqual(["2024-05-01", "2024-05-02", "2024-05-03"]);
    expect(a.d.buckets["2024-05-02"]).toEqual({
      key_as_string: "2024-05-02",
      key: Date.parse("2024-05-02T00:00:00Z"),
      doc_count: 1,
    });
    expect(a.z.buckets[0].key_as_string).toBe("01 May 2024 00:00 +02:00");
    expect(a.e.buckets[0].key_as_string).toBe(String(Date.parse("2024-05-01T00:00:00Z")));
    const bad = await run({
      d: { date_histogram: { field: "@timestamp", calendar_interval: "day", format: "yyyy-qq" } },
    });
    expect(bad).toEqual({
      status: 400,
      json: { status_code: 400, detail: "Invalid format: [yyyy-qq]: Unknown pattern letter: q" },
    });
  });

  it("offset shifts daily boundaries to noon (empty buckets between filled)", async () => {
    const { json } = await run({
      d: { date_histogram: { field: "@timestamp", calendar_interval: "day", offset: "+12h" } },
    });
    expect(json.data.aggregations.d.buckets.map((b: any) => [b.key_as_string, b.doc_count])).toEqual([
      ["2024-04-30T12:00:00.000Z", 2],
      ["2024-05-01T12:00:00.000Z", 0],
      ["2024-05-02T12:00:00.000Z", 1],
      ["2024-05-03T12:00:00.000Z", 2],
    ]);
  });
});

// [jobs-dsl] date_range with dates and date math, and range buckets in Elasticsearch's order (by from,
// then to, whatever order the request listed them in); hand-computed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJobs, postJobsAggs, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const at = (day: number) => `2024-05-0${day}T00:00:00.000Z`;

beforeAll(async () => {
  s = await startTestServer();
  const jobs = [1, 2, 4, 5].map((day, i) => ({
    application: "dr",
    app_type: "ec2",
    domain: "d",
    region: "r",
    "@timestamp": at(day),
    job: { id: `dr-${i}`, name: "n", state: "OK", duration_ms: i + 1 },
  }));
  expect(await postJobs(s, jobs)).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

async function run(aggs: unknown) {
  const { status, json } = await postJobsAggs(s, "dr", aggs);
  expect(status, JSON.stringify(json)).toBe(200);
  return json.data.aggregations;
}

describe("jobs: date_range and range order", () => {
  it("date_range: bounds as dates or date math, keys and *_as_string as Elasticsearch prints them", async () => {
    const r = await run({
      dr: {
        date_range: {
          field: "@timestamp",
          // listed later-first: answered in from order
          ranges: [{ from: "2024-05-03", to: "2024-05-05||+1d/d" }, { to: "2024-05-03" }],
        },
      },
    });
    const [d3, d6] = [Date.parse(at(3)), Date.parse("2024-05-06T00:00:00Z")];
    expect(r.dr.buckets).toEqual([
      { key: `*-${at(3)}`, to: d3, to_as_string: at(3), doc_count: 2 },
      {
        key: `${at(3)}-2024-05-06T00:00:00.000Z`,
        from: d3,
        from_as_string: at(3),
        to: d6,
        to_as_string: "2024-05-06T00:00:00.000Z",
        doc_count: 2,
      },
    ]);
  });

  it("range buckets come back ordered by from, then to", async () => {
    const r = await run({
      r: { range: { field: "job.duration_ms", ranges: [{ from: 3 }, { to: 2 }, { from: 1, to: 3 }] } },
    });
    expect(r.r.buckets.map((b: any) => [b.key, b.doc_count])).toEqual([
      ["*-2.0", 1],
      ["1.0-3.0", 2],
      ["3.0-*", 2],
    ]);
  });
});

// [jobs-dsl] composite aggregations as Elasticsearch pages them: buckets in composite-key order (each
// source ascending unless it says desc), `after` resumes strictly after a key, `after_key` is the page's
// last key, and an empty page has none. Answers computed by hand from the jobs below.
import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { aggs, createTallyClient } from "@tally/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const d = (n: number) => Date.parse(`2024-05-0${n}T00:00:00Z`);
// (day, app_type, duration): 1 ec2 10, 1 ec2 20, 1 k8s 5, 2 ec2 7, 3 k8s 1, 3 k8s 2
const rows: [number, string, number][] = [
  [1, "ec2", 10],
  [1, "ec2", 20],
  [1, "k8s", 5],
  [2, "ec2", 7],
  [3, "k8s", 1],
  [3, "k8s", 2],
];

beforeAll(async () => {
  s = await startTestServer();
  const jobs = rows.map(([day, type, ms], i) => ({
    application: "comp",
    app_type: type,
    domain: "d",
    region: "r",
    "@timestamp": new Date(d(day) + i * 60_000).toISOString(),
    job: { id: `c-${i}`, name: "n", state: "OK", duration_ms: ms },
  }));
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

const composite = (extra: Record<string, unknown> = {}, typeOrder = "asc") => ({
  comp: {
    composite: {
      size: 2,
      sources: [
        { day: { date_histogram: { field: "@timestamp", calendar_interval: "day" } } },
        { type: { terms: { field: "app_type", order: typeOrder } } },
      ],
      ...extra,
    },
    aggs: { ms: { sum: { field: "job.duration_ms" } } },
  },
});

async function page(aggs: unknown) {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application: "comp", aggs }),
  });
  const json = (await res.json()) as any;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.data.aggregations.comp;
}

describe("jobs: composite", () => {
  it("pages through every key in order, after the previous page's after_key, to an empty page", async () => {
    const p1 = await page(composite());
    expect(p1).toEqual({
      after_key: { day: d(1), type: "k8s" },
      buckets: [
        { key: { day: d(1), type: "ec2" }, doc_count: 2, ms: { value: 30 } },
        { key: { day: d(1), type: "k8s" }, doc_count: 1, ms: { value: 5 } },
      ],
    });
    const p2 = await page(composite({ after: p1.after_key }));
    expect(p2.buckets.map((b: any) => [b.key, b.doc_count])).toEqual([
      [{ day: d(2), type: "ec2" }, 1],
      [{ day: d(3), type: "k8s" }, 2],
    ]);
    expect(p2.after_key).toEqual({ day: d(3), type: "k8s" });
    expect(await page(composite({ after: p2.after_key }))).toEqual({ buckets: [] });
  });

  it("a source in descending order sorts within the sources before it", async () => {
    const p = await page(composite({ size: 10 }, "desc"));
    expect(p.buckets.map((b: any) => `${(b.key.day - d(1)) / 86_400_000}:${b.key.type}`)).toEqual([
      "0:k8s",
      "0:ec2",
      "1:ec2",
      "2:k8s",
    ]);
  });

  it("the typed client pages to the end with after_key", async () => {
    const client = createTallyClient({
      baseUrl: s.url,
      clientId: s.admin.clientId,
      clientSecret: s.admin.clientSecret,
    });
    const seen: string[] = [];
    let after: JsonObject | undefined;
    for (let i = 0; i < 10; i++) {
      const agg = aggs.composite(
        [
          { name: "type", kind: { case: "terms", value: { field: "app_type" } } },
          { name: "day", kind: { case: "dateHistogram", value: { field: "@timestamp", calendarInterval: "day" } } },
        ],
        { size: 3, after },
      );
      const res = await client.jobs.aggregateJobs({ application: "comp", aggs: { comp: agg } });
      const r = res.data!.aggregations.comp!.result;
      if (r.case !== "buckets" || r.value.buckets.length === 0) break;
      for (const b of r.value.buckets) seen.push(JSON.stringify(toJson(ValueSchema, b.key!)));
      expect(r.value.afterKey).toBeDefined();
      after = toJson(ValueSchema, r.value.afterKey!) as JsonObject;
    }
    // Sorted by type, then day: every key once, across pages of three.
    expect(seen).toEqual([
      JSON.stringify({ type: "ec2", day: d(1) }),
      JSON.stringify({ type: "ec2", day: d(2) }),
      JSON.stringify({ type: "k8s", day: d(1) }),
      JSON.stringify({ type: "k8s", day: d(3) }),
    ]);
  });

  it("refuses what Elasticsearch refuses", async () => {
    const bad = async (aggs: unknown) => {
      const res = await restCall(s, s.admin, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify({ aggs }) });
      return { status: res.status, detail: ((await res.json()) as any).detail };
    };
    expect(await bad({ c: { composite: { sources: [] } } })).toEqual({
      status: 400,
      detail: "Composite [sources] cannot be null or empty",
    });
    expect(await bad(composite({ after: { day: 1 } }))).toEqual({
      status: 400,
      detail: "[after] has 1 value(s) but [sources] has 2",
    });
    expect(
      (await bad({ c: { composite: { size: 70_000, sources: [{ t: { terms: { field: "app_type" } } }] } } })).status,
    ).toBe(400);
    expect(await bad({ t: { terms: { field: "app_type" }, aggs: composite() } })).toEqual({
      status: 400,
      detail: "[composite] aggregation cannot be used with a parent aggregation of type: [terms]",
    });
  });
});

// [jobs-dsl] rare_terms (terms held by at most max_doc_count jobs, rarest first, then by key; no
// sum_other_doc_count) and multi_terms (list keys, key_as_string joined with "|"); hand-computed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { aggs, createTallyClient } from "@tally/sdk";
import { postJobs, postJobsAggs, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
// app_type/state: ec2 OK ×3, ec2 FAILED ×1, k8s OK ×2, lambda OK ×1, batch FAILED ×1
const rows: [string, string][] = [
  ["ec2", "OK"],
  ["ec2", "OK"],
  ["ec2", "OK"],
  ["ec2", "FAILED"],
  ["k8s", "OK"],
  ["k8s", "OK"],
  ["lambda", "OK"],
  ["batch", "FAILED"],
];

beforeAll(async () => {
  s = await startTestServer();
  const jobs = rows.map(([type, state], i) => ({
    application: "rm",
    app_type: type,
    domain: "d",
    region: "r",
    "@timestamp": "2024-05-01T00:00:00Z",
    job: { id: `rm-${i}`, name: "n", state },
  }));
  expect(await postJobs(s, jobs)).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

const run = (aggs: unknown) => postJobsAggs(s, "rm", aggs);

describe("jobs: rare_terms and multi_terms", () => {
  it("rare_terms: at most max_doc_count, rarest first, then by key", async () => {
    const { json } = await run({
      rare: { rare_terms: { field: "app_type" } },
      rare2: { rare_terms: { field: "app_type", max_doc_count: 2 } },
    });
    expect(json.data.aggregations.rare).toEqual({
      buckets: [
        { key: "batch", doc_count: 1 },
        { key: "lambda", doc_count: 1 },
      ],
    });
    expect(json.data.aggregations.rare2.buckets.map((b: any) => b.key)).toEqual(["batch", "lambda", "k8s"]);
  });

  it("multi_terms: list keys by count, then key; sum_other_doc_count; refusals", async () => {
    const { json } = await run({
      mt: { multi_terms: { terms: [{ field: "app_type" }, { field: "job.state" }], size: 3 } },
    });
    expect(json.data.aggregations.mt).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 2, // ec2|FAILED and lambda|OK
      buckets: [
        { key: ["ec2", "OK"], key_as_string: "ec2|OK", doc_count: 3 },
        { key: ["k8s", "OK"], key_as_string: "k8s|OK", doc_count: 2 },
        { key: ["batch", "FAILED"], key_as_string: "batch|FAILED", doc_count: 1 },
      ],
    });
    expect((await run({ mt: { multi_terms: { terms: [{ field: "app_type" }] } } })).json.detail).toBe(
      "The [terms] parameter in the aggregation [mt] must be present and have at least 2 fields or scripts.",
    );
    expect((await run({ r: { rare_terms: { field: "app_type", max_doc_count: 101 } } })).json.detail).toBe(
      "[max_doc_count] must be smaller than or equal to [100] in [r]",
    );
  });

  it("the typed client's builders: rareTerms, multiTerms, autoDateHistogram, dateRange, medianAbsoluteDeviation", async () => {
    const client = createTallyClient({
      baseUrl: s.url,
      clientId: s.admin.clientId,
      clientSecret: s.admin.clientSecret,
    });
    const res = await client.jobs.aggregateJobs({
      application: "rm",
      aggs: {
        rare: aggs.rareTerms("app_type"),
        mt: aggs.multiTerms(["app_type", "job.state"], { size: 1 }),
        auto: aggs.autoDateHistogram("@timestamp"),
        dr: aggs.dateRange("@timestamp", [{ from: "2024-05-01||/d" }]),
      },
    });
    const r = res.data!.aggregations;
    const keys = (name: string) => {
      const x = r[name]!.result;
      return x.case === "buckets" ? x.value.buckets.map((b) => [toJson(ValueSchema, b.key!), Number(b.docCount)]) : [];
    };
    expect(keys("rare")).toEqual([
      ["batch", 1],
      ["lambda", 1],
    ]);
    expect(keys("mt")).toEqual([[["ec2", "OK"], 3]]);
    expect(keys("dr")).toEqual([["2024-05-01T00:00:00.000Z-*", 8]]);
    const auto = r.auto!.result;
    expect(auto.case === "buckets" && [auto.value.interval, auto.value.buckets.length]).toEqual(["1s", 1]);
  });
});

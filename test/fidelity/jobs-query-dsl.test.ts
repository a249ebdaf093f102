// [jobs-dsl] The query side Elasticsearch users write: bool with should + minimum_should_match (and
// should clauses that only score when must/filter is present), prefix, wildcard, ids and match on
// keyword fields; every field from the allowlist, patterns bounded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggs, createTallyClient, q } from "@tally/sdk";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const jobs: [string, string, string, string][] = [
  // id, name, state, app_type
  ["q1", "build-api", "OK", "ec2"],
  ["q2", "build-web", "FAILED", "ec2"],
  ["q3", "deploy-api", "OK", "k8s"],
  ["q4", "Build-Docs", "FAILED", "k8s"],
  ["q5", "test.unit", "OK", "lambda"],
];

beforeAll(async () => {
  s = await startTestServer();
  const docs = jobs.map(([id, name, state, type], i) => ({
    application: "dsl",
    app_type: type,
    domain: "d",
    region: "r",
    "@timestamp": `2024-05-01T0${i}:00:00Z`,
    job: { id, name, state, duration_ms: i * 10 },
  }));
  expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(docs) })).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

/** The ids of the jobs a query matches (a terms aggregation over job.id). */
async function ids(query: unknown): Promise<string[] | { status: number; detail: string }> {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({
      application: "dsl",
      query,
      aggs: { ids: { terms: { field: "job.id", order: { _key: "asc" } } } },
    }),
  });
  const json = (await res.json()) as any;
  if (res.status !== 200) return { status: res.status, detail: json.detail };
  return json.data.aggregations.ids.buckets.map((b: { key: string }) => b.key);
}

describe("jobs: query DSL", () => {
  it("bool should: one by default, minimum_should_match as a count, a negative count or a percentage", async () => {
    const should = [
      { term: { "job.state": "FAILED" } },
      { term: { app_type: "k8s" } },
      { prefix: { "job.name": "build" } },
    ];
    // q1: prefix; q2: FAILED + prefix; q3: k8s; q4: FAILED + k8s; q5: none.
    expect(await ids({ bool: { should } })).toEqual(["q1", "q2", "q3", "q4"]);
    expect(await ids({ bool: { should, minimum_should_match: 2 } })).toEqual(["q2", "q4"]);
    expect(await ids({ bool: { should, minimum_should_match: -2 } })).toEqual(["q1", "q2", "q3", "q4"]);
    expect(await ids({ bool: { should, minimum_should_match: "67%" } })).toEqual(["q2", "q4"]); // floor(3·0.67) = 2
    expect(await ids({ bool: { should, minimum_should_match: 4 } })).toEqual([]);
    // With a filter, should clauses only score: they no longer restrict the matches.
    expect(
      await ids({ bool: { filter: [{ term: { app_type: "ec2" } }], should: [{ term: { "job.state": "OK" } }] } }),
    ).toEqual(["q1", "q2"]);
  });

  it("prefix, wildcard (case-sensitive unless asked), ids and match", async () => {
    expect(await ids({ prefix: { "job.name": "build-" } })).toEqual(["q1", "q2"]);
    expect(await ids({ prefix: { "job.name": { value: "build-", case_insensitive: true } } })).toEqual([
      "q1",
      "q2",
      "q4",
    ]);
    expect(await ids({ wildcard: { "job.name": "*-api" } })).toEqual(["q1", "q3"]);
    expect(await ids({ wildcard: { "job.name": { value: "b?ild-*" } } })).toEqual(["q1", "q2"]);
    // A pattern's "." is a literal dot, not any character.
    expect(await ids({ wildcard: { "job.name": { wildcard: "test.*" } } })).toEqual(["q5"]);
    expect(await ids({ wildcard: { "job.name": "test?unit" } })).toEqual(["q5"]);
    expect(await ids({ ids: { values: ["q3", "q5", "nope"] } })).toEqual(["q3", "q5"]);
    expect(await ids({ match: { "job.state": "FAILED" } })).toEqual(["q2", "q4"]);
    expect(await ids({ match: { "job.state": { query: "OK" } } })).toEqual(["q1", "q3", "q5"]);
  });

  it("bounds patterns and keeps to the allowlist", async () => {
    expect(await ids({ wildcard: { "job.name": "*a*b*c*d" } })).toEqual({
      status: 400,
      detail: "[wildcard] pattern on [job.name] has more than 3 '*' (each can make matching slow)",
    });
    expect(await ids({ prefix: { "job.name": "x".repeat(300) } })).toEqual({
      status: 400,
      detail: "[prefix] pattern on [job.name] is longer than 256",
    });
    expect(((await ids({ prefix: { tenantId: "a" } })) as { status: number }).status).toBe(400);
    expect(await ids({ prefix: { "job.duration_ms": "1" } })).toEqual({
      status: 400,
      detail: "[prefix] query on [job.duration_ms]: only keyword fields can be matched by pattern",
    });
  });

  it("the typed client's query builders: prefix, wildcard, ids and bool with minimum_should_match", async () => {
    const client = createTallyClient({
      baseUrl: s.url,
      clientId: s.admin.clientId,
      clientSecret: s.admin.clientSecret,
    });
    const idsOf = async (query: ReturnType<typeof q.ids>) => {
      const res = await client.jobs.aggregateJobs({
        application: "dsl",
        query,
        aggs: { ids: aggs.terms("job.id", { order: [{ path: "_key" }] }) },
      });
      const r = res.data!.aggregations.ids!.result;
      return r.case === "buckets"
        ? r.value.buckets.map((b) => (b.key?.kind.case === "stringValue" ? b.key.kind.value : ""))
        : [];
    };
    expect(await idsOf(q.prefix("job.name", "build-"))).toEqual(["q1", "q2"]);
    expect(await idsOf(q.wildcard("job.name", "*-API", true))).toEqual(["q1", "q3"]);
    expect(await idsOf(q.ids("q5", "q4"))).toEqual(["q4", "q5"]);
    const should = [q.term("job.state", "FAILED"), q.term("app_type", "k8s"), q.prefix("job.name", "build")];
    expect(await idsOf(q.bool({ should, minimumShouldMatch: "67%" }))).toEqual(["q2", "q4"]);
  });
});

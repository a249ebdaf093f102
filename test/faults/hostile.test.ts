import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { run } from "../records/fixture.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Hostile input against every API: random JSON, operator-looking keys, prototype keys, dotted paths,
 * huge numbers, deep nesting, long strings and look-alikes of tenant ids. The answer is always a 4xx
 * or a valid answer with only the caller's data: never a 5xx, never a crash, never the other tenant's
 * marker.
 */
let s: TestServer;
let victim: Credentials;
let attacker: Credentials;
const MARKER = "zz-secret-marker";

beforeAll(async () => {
  s = await startTestServer();
  victim = await createTenantWithClient(s, "victim", "root");
  attacker = await createTenantWithClient(s, "attacker", "root");
  const post = (path: string, body: unknown) =>
    restCall(s, victim, path, { method: "POST", body: JSON.stringify(body) }).then((r) => expect(r.status).toBe(200));
  await post("/v3/jobs", [
    { application: MARKER, "@timestamp": "2024-01-01T00:00:00Z", job: { id: MARKER, name: MARKER, state: "FAILED" } },
  ]);
  await post(`/apis/results.tekton.dev/v1alpha2/parents/${MARKER}/results/r/records:batchCreate`, {
    records: [run({ name: "x", pipeline: MARKER, created: "2024-01-01T00:00:00Z" })],
  });
  await post("/api/4.0/deliveryservices", { xmlId: MARKER });
  await post("/telemetry/v1/metrics", { metrics: [{ name: MARKER, kind: "count", buckets: [0, 1, 2] }] });
  await post("/telemetry/v1/histograms", {
    batch_id: "m",
    histograms: [
      {
        prefix: "build_id",
        channel: MARKER,
        version: "1",
        date: "20240101",
        metric: MARKER,
        histogram: [1, 1, 1],
        count: 3,
      },
    ],
  });
});
afterAll(async () => {
  await s?.stop();
});

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "$where",
    "$$ROOT",
    "$gt",
    "__proto__",
    "constructor",
    "prototype",
    "a.b.c",
    "job.$where",
    "tenantId",
    "victim",
    "ｖｉｃｔｉｍ",
    "vıctim",
    "../../etc/passwd",
    "%00",
    "\u0000",
    "' OR 1=1 --",
    MARKER,
    "-",
    "*",
    "..",
    "{",
    "1e308",
    "-0",
    "NaN",
  ),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const hostileKey = fc.oneof(
  hostileString,
  fc.constantFrom(
    "aggs",
    "query",
    "term",
    "terms",
    "range",
    "bool",
    "field",
    "filter",
    "size",
    "interval",
    "tenant",
    "tenantId",
  ),
);
const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER * 1000, -1, 0, 1e308, true, false, null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie("value"), { maxKeys: 4 }),
  ),
})).value;

const deep = (n: number): unknown =>
  n === 0 ? { terms: { field: "job.state" } } : { filter: { match_all: {} }, aggs: { x: deep(n - 1) } };

/** Never a 5xx; the marker may only come back in an error that echoes the request's own text. */
async function check(res: Response, sent = ""): Promise<void> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  if (res.status >= 400 && sent.includes(MARKER)) return;
  expect(text).not.toContain(MARKER);
}

describe("hostile input never yields a 5xx or another tenant's data", () => {
  it("jobs aggs bodies", async () => {
    await fc.assert(
      fc.asyncProperty(hostileJson, hostileJson, async (aggs, query) => {
        const sent = JSON.stringify({ aggs, query });
        await check(await restCall(s, attacker, "/v3/jobs/aggs", { method: "POST", body: sent }), sent);
        await check(
          await restCall(s, attacker, "/v3/jobs/aggs", { method: "POST", body: JSON.stringify({ aggs: { a: aggs } }) }),
          sent,
        );
      }),
      { numRuns: 60 },
    );
    await check(
      await restCall(s, attacker, "/v3/jobs/aggs", {
        method: "POST",
        body: JSON.stringify({ aggs: { d: deep(200) } }),
      }),
    );
    await check(await restCall(s, attacker, "/v3/jobs/aggs", { method: "POST", body: "[".repeat(100_000) }));
    await check(
      await restCall(s, attacker, "/v3/jobs/aggs", {
        method: "POST",
        body: JSON.stringify({ aggs: { t: { terms: { field: "application" } } } }),
      }),
    );
  });

  it("jobs ingest items", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileJson, { maxLength: 5 }), async (items) => {
        const sent = JSON.stringify(items);
        const res = await restCall(s, attacker, "/v3/jobs", { method: "POST", body: sent });
        if (res.status !== 200) return check(res, sent);
        // An ingest answer holds counts and rejections only. A rejection names the offending field by
        // the caller's own key and explains it without repeating the value.
        const body = (await res.json()) as { result: { rejections: { field: string; reason: string }[] } };
        for (const r of body.result.rejections) {
          expect(r.reason).not.toContain(MARKER);
          expect(r.reason.length).toBeLessThanOrEqual(301);
          if (!sent.includes(MARKER)) expect(r.field).not.toContain(MARKER);
        }
        expect(JSON.stringify({ ...body.result, rejections: [] })).not.toContain(MARKER);
      }),
      { numRuns: 40 },
    );
  });

  it("query strings of the GET APIs", async () => {
    const paths = [
      "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary",
      "/api/4.0/deliveryservice_stats",
      "/v6/metrics/job-types/plot-data/",
      "/aggregates_by/build_id/channels/x/",
      "/filters/",
      "/v6/metrics/",
    ];
    const keys = [
      "summary",
      "group_by",
      "order_by",
      "filter",
      "deliveryServiceName",
      "deliveryService",
      "metricType",
      "startDate",
      "endDate",
      "interval",
      "limit",
      "offset",
      "exclude",
      "started",
      "ended",
      "choice_id",
      "column",
      "group",
      "page",
      "page_size",
      "version",
      "dates",
      "metric",
      "os",
      "child",
      "channel",
      "tenant",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.array(fc.tuple(fc.constantFrom(...keys), hostileString), { maxLength: 6 }),
        async (path, params) => {
          const qs = new URLSearchParams(params.map(([k, v]) => [k, v.slice(0, 2000)])).toString();
          await check(await restCall(s, attacker, `${path}?${qs}`), qs);
        },
      ),
      { numRuns: 120 },
    );
    // Aimed straight at the victim's names: answered as if they did not exist.
    expect(
      await (
        await restCall(
          s,
          attacker,
          `/apis/results.tekton.dev/v1alpha2/parents/${MARKER}/results/-/records/summary?group_by=pipeline`,
        )
      ).json(),
    ).toEqual({ summary: [] });
    await check(
      await restCall(
        s,
        attacker,
        `/api/4.0/deliveryservice_stats?deliveryServiceName=${MARKER}&metricType=kbps&startDate=0&endDate=9`,
      ),
      MARKER,
    );
    await check(await restCall(s, attacker, `/aggregates_by/build_id/channels/${MARKER}/dates/`), MARKER);
  });

  it("records filters (CEL) and path segments", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (filter, ns) => {
        const p = encodeURIComponent(ns.slice(0, 100) || "-");
        await check(
          await restCall(
            s,
            attacker,
            `/apis/results.tekton.dev/v1alpha2/parents/${p}/results/-/records/summary?filter=${encodeURIComponent(filter.slice(0, 4100))}`,
          ),
          `${ns}${filter}`,
        );
      }),
      { numRuns: 80 },
    );
  });

  it("oversized bodies are refused without harm", async () => {
    const big = JSON.stringify({ aggs: {}, pad: "x".repeat(9 * 1024 * 1024) });
    const res = await restCall(s, attacker, "/v3/jobs/aggs", { method: "POST", body: big });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await restCall(s, attacker, "/v6/metrics/")).status).toBe(200);
  });
});

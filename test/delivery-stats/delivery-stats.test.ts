import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryStatsService } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { grpcClient, loadProtos, unary } from "../helpers/grpc.js";
import {
  createClientFor,
  createTenantWithClient,
  restCall,
  startTestServer,
  type TestServer,
} from "../helpers/server.js";

let s: TestServer;
let cdn: Credentials;
let other: Credentials;
let child: Credentials;
const path = "/api/4.0/deliveryservice_stats";
const docAccept =
  "application/json;timestamp=unix, application/json;timestamp=rfc;q=0.9, application/json;q=0.8, */*;q=0.7";

async function post(creds: Credentials, p: string, body: unknown) {
  const res = await restCall(s, creds, p, { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as { response: Record<string, unknown> };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.response;
}

async function stats(creds: Credentials | null, query: string, accept: string | null = "*/*") {
  const headers: Record<string, string> = {};
  if (accept !== null) headers.accept = accept;
  const res = creds
    ? await restCall(s, creds, `${path}?${query}`, { headers })
    : await fetch(`${s.url}${path}?${query}`, { headers });
  return {
    status: res.status,
    headers: res.headers,
    text: await res.clone().text(),
    body: (await res.json()) as Record<string, any>,
  };
}

const minute = (iso: string, n: number) => new Date(new Date(iso).getTime() + n * 60_000).toISOString();

beforeAll(async () => {
  s = await startTestServer();
  cdn = await createTenantWithClient(s, "cdn", "root");
  other = await createTenantWithClient(s, "other", "root");
  child = await createTenantWithClient(s, "cdn-child", "cdn");
  await post(cdn, "/api/4.0/deliveryservices", { xmlId: "demo1" });
  await post(cdn, "/api/4.0/deliveryservices", { xmlId: "bytes" });
  await post(cdn, "/api/4.0/deliveryservices", { xmlId: "many" });
  await post(other, "/api/4.0/deliveryservices", { xmlId: "foreign" });
  await post(child, "/api/4.0/deliveryservices", { xmlId: "kid" });
  const points = [
    { deliveryService: "demo1", metricType: "tps_total", time: "2019-07-22T17:55:00Z", value: 0 },
    { deliveryService: "demo1", metricType: "tps_total", time: "2019-07-22T17:56:00Z", value: 0 },
    // kbps: 4 points → 10, 20, 30, 40 (mean 25)
    ...[10, 20, 30, 40].map((value, i) => ({
      deliveryService: "bytes",
      metricType: "kbps",
      time: minute("2024-01-01T00:00:00Z", i),
      value,
    })),
    // 20 points 1..20 for percentiles, one minute apart from 00:00
    ...Array.from({ length: 20 }, (_, i) => ({
      deliveryService: "many",
      metricType: "tps_2xx",
      time: minute("2024-01-01T00:00:00Z", i),
      value: i + 1,
    })),
    { deliveryService: "foreign", metricType: "tps_total", time: "2019-07-22T17:55:00Z", value: 5 },
    { deliveryService: "kid", metricType: "tps_total", time: "2019-07-22T17:55:00Z", value: 7 },
  ];
  const a = await post(cdn, path, {
    points: points.filter((p) => p.deliveryService !== "foreign" && p.deliveryService !== "kid"),
  });
  expect(a.result).toMatchObject({ inserted: 26, rejected: 0 });
  await post(other, path, { points: points.filter((p) => p.deliveryService === "foreign") });
  await post(child, path, { points: points.filter((p) => p.deliveryService === "kid") });
});
afterAll(async () => {
  await s?.stop();
});

describe("GET /api/4.0/deliveryservice_stats", () => {
  it("the document's request returns the document's structure with unix timestamps", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=demo1&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00.000Z&metricType=tps_total",
      docAccept,
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json; timestamp=unix");
    expect(r.headers.get("vary")).toBe("Accept, Authorization, Accept-Encoding");
    expect(r.body).toEqual({
      response: {
        series: {
          columns: ["time", "sum_count"],
          count: 2,
          name: "tps_total.ds.1min",
          tags: { cachegroup: "total" },
          values: [
            [1563818100000000000, 0],
            [1563818160000000000, 0],
          ],
        },
        source: "TrafficStats",
        summary: {
          average: 0,
          count: 2,
          fifthPercentile: 0,
          max: 0,
          min: 0,
          ninetyEighthPercentile: 0,
          ninetyFifthPercentile: 0,
          totalBytes: null,
          totalKiloBytes: null,
          totalTransactions: 0,
        },
        version: "1.2",
      },
    });
    // Exact digits on the wire, not a float rendering.
    expect(r.text).toContain("[1563818100000000000,0]");
  });

  it("the Traffic Ops Python client's shape: Accept */* → RFC 3339 strings", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=demo1&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z&metricType=tps_total",
      "*/*",
    );
    expect(r.headers.get("content-type")).toBe("application/json; timestamp=rfc");
    expect(r.body.response.series.values).toEqual([
      ["2019-07-22T17:55:00Z", 0],
      ["2019-07-22T17:56:00Z", 0],
    ]);
  });

  it("every accepted date format", async () => {
    for (const [start, end] of [
      ["2019-07-22T19:55:00+02:00", "2019-07-22T17:56:00.000000000Z"],
      ["1563818100000000000", "1563818160000000000"],
      ["2019-07-22 17:55:00+00", "2019-07-22 18:56:00+01"],
    ]) {
      const r = await stats(
        cdn,
        `deliveryServiceName=demo1&metricType=tps_total&startDate=${encodeURIComponent(start!)}&endDate=${encodeURIComponent(end!)}`,
      );
      expect(r.body.response?.summary?.count, `${start} ${end}`).toBe(2);
    }
  });

  it("the errors in the documented order, with exact texts", async () => {
    const q =
      "deliveryServiceName=demo1&metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z";
    const cases: [string, number, string][] = [
      [
        "deliveryServiceName=demo1",
        400,
        "required parameters missing: missing required parameters: metricType, startDate, endDate",
      ],
      ["metricType=&startDate=x", 400, "required parameters missing: missing required parameters: endDate"],
      [`${q}&limit=-1`, 400, "Invalid limit!"],
      [`${q}&limit=ten`, 400, "Invalid limit!"],
      [`${q}&offset=1.5`, 400, "Invalid offset!"],
      [`${q}&orderby=value`, 400, "Invalid orderby! Can only be 'time'"],
      ["deliveryServiceName=demo1&metricType=tps_total&startDate=yesterday&endDate=now", 400, "Invalid startDate!"],
      [
        "deliveryServiceName=demo1&metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-02-30T00:00:00Z",
        400,
        "Invalid endDate!",
      ],
      [
        `${q}&interval=30s`,
        400,
        "interval: must be a valid InfluxQL duration literal (resolution no less than minute)",
      ],
      [`${q}&interval=0m`, 400, "interval: must be a valid InfluxQL duration literal (resolution no less than minute)"],
      [`${q}&exclude=both`, 400, "Invalid exclude! Must be 'series' or 'summary'"],
      [
        "deliveryServiceName=demo1&metricType=tps_9xx&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z",
        400,
        "Metric is not supported: tps_9xx",
      ],
      [
        "metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z",
        400,
        "You must specify deliveryService or deliveryServiceName!",
      ],
      [
        "deliveryServiceName=nope&metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z",
        404,
        "No such Delivery Service: nope",
      ],
    ];
    for (const [query, status, text] of cases) {
      const r = await stats(cdn, query);
      expect(r.status, query).toBe(status);
      expect(r.body, query).toEqual({ alerts: [{ text, level: "error" }] });
    }
    const noAuth = await stats(null, q);
    expect(noAuth).toMatchObject({
      status: 401,
      body: { alerts: [{ text: "unauthorized, please log in.", level: "error" }] },
    });
    const notAcceptable = await stats(cdn, q, "text/html");
    expect(notAcceptable).toMatchObject({
      status: 406,
      body: {
        alerts: [{ text: "Failed to negotiate content; cannot produce output satisfying text/html", level: "error" }],
      },
    });
    // Step 2 comes before step 3: missing parameters win over an unsatisfiable Accept.
    expect((await stats(cdn, "deliveryServiceName=demo1", "text/html")).status).toBe(400);
  });

  it("deliveryService by numeric id; deliveryServiceName wins over it", async () => {
    const ids = (await post(cdn, "/api/4.0/deliveryservices", { xmlId: "demo1" })) as { id: number };
    const base = "metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z&exclude=series";
    expect((await stats(cdn, `deliveryService=${ids.id}&${base}`)).body.response.summary.count).toBe(2);
    expect(
      (await stats(cdn, `deliveryService=nope&deliveryServiceName=demo1&${base}`)).body.response.summary.count,
    ).toBe(2);
  });

  it("exclude, limit and offset (nulls filled first; limit 0 = no limit; offset past the end drops series only)", async () => {
    const base =
      "deliveryServiceName=many&metricType=tps_2xx&startDate=2024-01-01T00:00:00Z&endDate=2024-01-01T00:19:00Z";
    expect((await stats(cdn, `${base}&exclude=series`)).body.response).not.toHaveProperty("series");
    expect((await stats(cdn, `${base}&exclude=summary`)).body.response).not.toHaveProperty("summary");
    const page = await stats(cdn, `${base}&limit=3&offset=2`);
    expect(page.body.response.series.values).toEqual([
      ["2024-01-01T00:02:00Z", 3],
      ["2024-01-01T00:03:00Z", 4],
      ["2024-01-01T00:04:00Z", 5],
    ]);
    expect(page.body.response.series.count).toBe(3);
    expect((await stats(cdn, `${base}&limit=0`)).body.response.series.count).toBe(20);
    const past = await stats(cdn, `${base}&offset=50`);
    expect(past.body.response).not.toHaveProperty("series");
    expect(past.body.response.summary.count).toBe(20);
  });

  it("buckets: interval means, aligned to startDate's whole seconds, nulls around the points", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=many&metricType=tps_2xx&startDate=2023-12-31T23:58:30.5Z&endDate=2024-01-01T00:06:00Z&interval=5m&exclude=summary",
    );
    // Buckets at :30 (from 23:58:30): [23:58:30, 00:03:30) holds 00:00-00:03 (values 1-4, mean 2.5);
    // [00:03:30, 00:08:30) holds 00:04-00:06 up to endDate (values 5-7, mean 6).
    expect(r.body.response.series.values).toEqual([
      ["2023-12-31T23:58:30Z", 2.5],
      ["2024-01-01T00:03:30Z", 6],
    ]);
    const wide = await stats(
      cdn,
      "deliveryServiceName=many&metricType=tps_2xx&startDate=2023-12-31T23:50:00Z&endDate=2024-01-01T00:30:00Z&interval=10m&exclude=summary",
    );
    expect(wide.body.response.series.values).toEqual([
      ["2023-12-31T23:50:00Z", null],
      ["2024-01-01T00:00:00Z", 5.5],
      ["2024-01-01T00:10:00Z", 15.5],
      ["2024-01-01T00:20:00Z", null],
      ["2024-01-01T00:30:00Z", null],
    ]);
  });

  it("nearest-rank percentiles; fewer than 10 points gives a fifth percentile of 0", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=many&metricType=tps_2xx&startDate=2024-01-01T00:00:00Z&endDate=2024-01-01T00:19:00Z&exclude=series",
    );
    // n=20: p5 → floor(1.5)-1 = 0 → 1; p95 → floor(19.5)-1 = 18 → 19; p98 → floor(20.1)-1 = 19 → 20
    expect(r.body.response.summary).toEqual({
      average: 10.5,
      count: 20,
      fifthPercentile: 1,
      max: 20,
      min: 1,
      ninetyEighthPercentile: 20,
      ninetyFifthPercentile: 19,
      totalBytes: null,
      totalKiloBytes: null,
      totalTransactions: 20 * 60 * 10.5,
    });
    const few = await stats(
      cdn,
      "deliveryServiceName=bytes&metricType=kbps&startDate=2024-01-01T00:00:00Z&endDate=2024-01-01T00:03:00Z&exclude=series",
    );
    // n=4: p5 index floor(0.7)-1 = -1 → 0; p95 floor(4.3)-1 = 3 → 40
    expect(few.body.response.summary.fifthPercentile).toBe(0);
    expect(few.body.response.summary.ninetyFifthPercentile).toBe(40);
  });

  it("kbps totals: kilobytes (Traffic Portal) and bytes (document); no transactions", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=bytes&metricType=kbps&startDate=2024-01-01T00:00:00Z&endDate=2024-01-01T00:03:00Z&exclude=series",
    );
    const kb = (4 * 60 * 25) / 8;
    expect(r.body.response.summary).toMatchObject({
      average: 25,
      count: 4,
      totalKiloBytes: kb,
      totalBytes: kb * 1000,
      totalTransactions: null,
    });
  });

  it("empty data: zero summary, no series, null totals", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=demo1&metricType=tps_5xx&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z",
    );
    expect(r.body).toEqual({
      response: {
        source: "TrafficStats",
        summary: {
          average: 0,
          count: 0,
          fifthPercentile: 0,
          max: 0,
          min: 0,
          ninetyEighthPercentile: 0,
          ninetyFifthPercentile: 0,
          totalBytes: null,
          totalKiloBytes: null,
          totalTransactions: null,
        },
        version: "1.2",
      },
    });
  });

  it("endDate before startDate is an empty result, not an error", async () => {
    const r = await stats(
      cdn,
      "deliveryServiceName=demo1&metricType=tps_total&startDate=2019-07-22T17:56:00Z&endDate=2019-07-22T17:55:00Z",
    );
    expect(r.status).toBe(200);
    expect(r.body.response.summary.count).toBe(0);
  });
});

describe("delivery stats: tenancy and permissions", () => {
  const q = (ds: string) =>
    `deliveryServiceName=${ds}&metricType=tps_total&startDate=2019-07-22T17:55:00Z&endDate=2019-07-22T17:56:00Z`;

  it("a foreign delivery service is 'No such Delivery Service', exactly like an unknown one; a parent reads its child's", async () => {
    const foreign = await stats(cdn, q("foreign"));
    const unknown = await stats(cdn, q("unknown-ds"));
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ alerts: [{ text: "No such Delivery Service: foreign", level: "error" }] });
    expect(unknown.body).toEqual({ alerts: [{ text: "No such Delivery Service: unknown-ds", level: "error" }] });
    expect((await stats(cdn, q("kid"))).body.response.summary.average).toBe(7);
    expect((await stats(child, q("demo1"))).status).toBe(404);
  });

  it("both permissions required; only the missing ones are listed; the same decision on every protocol", async () => {
    const statOnly = await createClientFor(s, "cdn", ["STAT:READ"]);
    const r = await stats(statOnly, q("demo1"));
    expect(r).toMatchObject({
      status: 403,
      body: { alerts: [{ text: "missing required Permissions: DELIVERY-SERVICE:READ", level: "error" }] },
    });
    const token = await s.token(statOnly);
    const req = {
      deliveryServiceName: "demo1",
      metricType: "tps_total",
      startDate: "2019-07-22T17:55:00Z",
      endDate: "2019-07-22T17:56:00Z",
    };
    for (const transport of [
      createConnectTransport({ baseUrl: s.url, httpVersion: "2" }),
      createGrpcWebTransport({ baseUrl: s.url, httpVersion: "1.1" }),
    ]) {
      const err = await createClient(DeliveryStatsService, transport)
        .getDeliveryServiceStats(req, { headers: { authorization: `Bearer ${token}` } })
        .catch((e: unknown) => ConnectError.from(e));
      expect(err).toMatchObject({
        code: Code.PermissionDenied,
        rawMessage: "missing required Permissions: DELIVERY-SERVICE:READ",
      });
    }
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${token}`);
    const pkg = loadProtos(["tally/deliverystats/v1/delivery_stats.proto"]);
    await expect(
      unary(grpcClient(pkg, "tally.deliverystats.v1.DeliveryStatsService", s.url), "getDeliveryServiceStats", req, md),
    ).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: "missing required Permissions: DELIVERY-SERVICE:READ",
    });
  });
});

describe("delivery stats: ingest", () => {
  it("per-cache samples of one minute are stored as their mean; re-sending replaces", async () => {
    const pts = [3, 5, 10].map((value) => ({
      deliveryService: "demo1",
      metricType: "tps_3xx",
      time: "2020-01-01T00:00:10Z",
      value,
    }));
    const first = await post(cdn, path, { points: pts });
    expect(first.result).toMatchObject({ inserted: 1 });
    const q =
      "deliveryServiceName=demo1&metricType=tps_3xx&startDate=2020-01-01T00:00:00Z&endDate=2020-01-01T00:01:00Z&exclude=series";
    expect((await stats(cdn, q)).body.response.summary).toMatchObject({ count: 1, average: 6 });
    const again = await post(cdn, path, { points: [{ ...pts[0], value: 1 }] });
    expect(again.result).toMatchObject({ inserted: 0, updated: 1 });
    expect((await stats(cdn, q)).body.response.summary).toMatchObject({ count: 1, average: 1 });
  });

  it("bad points are rejected by index and field; foreign services are unknown", async () => {
    const res = await post(cdn, path, {
      points: [
        { deliveryService: "foreign", metricType: "tps_total", time: "2020-01-01T00:00:00Z", value: 1 },
        { deliveryService: "demo1", metricType: "tps_999", time: "2020-01-01T00:00:00Z", value: 1 },
        { deliveryService: "demo1", metricType: "kbps", value: 1 },
      ],
    });
    expect(res.result).toMatchObject({
      inserted: 0,
      rejected: 3,
      rejections: [
        { index: 0, field: "deliveryService" },
        { index: 1, field: "metricType" },
        { index: 2, field: "time" },
      ],
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let cdn: Credentials;
const q = "deliveryServiceName=edge&metricType=tps_total&startDate=2024-03-01T10:00:00Z&endDate=2024-03-01T10:02:00Z";

beforeAll(async () => {
  s = await startTestServer();
  cdn = await createTenantWithClient(s, "to-cdn", "root");
  expect(
    (await restCall(s, cdn, "/api/4.0/deliveryservices", { method: "POST", body: JSON.stringify({ xmlId: "edge" }) }))
      .status,
  ).toBe(200);
  // What Traffic Stats writes: one point per cache group, plus their total.
  const points = [
    {
      deliveryService: "edge",
      metricType: "tps_total",
      time: "2024-03-01T10:00:00Z",
      cachegroup: "cg-east",
      value: 100_000,
    },
    { deliveryService: "edge", metricType: "tps_total", time: "2024-03-01T10:00:00Z", cachegroup: "cg-west", value: 1 },
    {
      deliveryService: "edge",
      metricType: "tps_total",
      time: "2024-03-01T10:00:00Z",
      cachegroup: "total",
      value: 62.6,
    },
    { deliveryService: "edge", metricType: "tps_total", time: "2024-03-01T10:01:00Z", value: 37.4 },
  ];
  const res = await restCall(s, cdn, "/api/4.0/deliveryservice_stats", {
    method: "POST",
    body: JSON.stringify({ points }),
  });
  expect(((await res.json()) as { response: { result: unknown } }).response.result).toMatchObject({
    inserted: 4,
    rejected: 0,
  });
});
afterAll(async () => {
  await s?.stop();
});

describe("Traffic Ops: versions, errors, cache groups", () => {
  it("answers every API version Traffic Ops serves the route under, minors included, identically", async () => {
    const bodies: unknown[] = [];
    for (const v of ["3.0", "3.1", "4.0", "4.1", "5.0", "5.1"]) {
      const res = await restCall(s, cdn, `/api/${v}/deliveryservice_stats?${q}`);
      expect(res.status, v).toBe(200);
      bodies.push(await res.json());
    }
    for (const b of bodies) expect(b).toEqual(bodies[0]);
  });

  it("a route under /api/ that does not exist answers in Traffic Ops' alerts shape", async () => {
    for (const path of ["/api/6.0/deliveryservice_stats", "/api/4.0/no_such_thing", "/api/2.0/deliveryservice_stats"]) {
      const res = await restCall(s, cdn, `${path}?${q}`);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual({ alerts: [{ text: "Resource not found.", level: "error" }] });
    }
  });

  it("per-cache-group points are kept apart and the answer comes from the total, as upstream's", async () => {
    const res = await restCall(s, cdn, `/api/4.1/deliveryservice_stats?${q}&interval=1m`);
    const body = (await res.json()) as {
      response: { series: { values: [string, number | null][] }; summary: Record<string, unknown> };
    };
    expect(body.response.series.values).toEqual([
      ["2024-03-01T10:00:00Z", 62.6],
      ["2024-03-01T10:01:00Z", 37.4],
      ["2024-03-01T10:02:00Z", null],
    ]);
    expect(body.response.summary).toMatchObject({
      count: 2,
      average: 50,
      max: 62.6,
      min: 37.4,
      totalKiloBytes: null,
      totalBytes: null,
    });
    const stored = await s.tally.database.db.collection("ds_points").countDocuments({ tenantId: "to-cdn", ds: "edge" });
    expect(stored).toBe(4);
  });

  it("a database from before cache groups loses its old unique index at start", async () => {
    const { ensureIndexes } = await import("../../server/src/db/collections.js");
    const points = s.tally.database.db.collection("ds_points");
    await points.dropIndex("tenant_ds_metric_cachegroup_time");
    // (Unique before; not creatable as unique over the cache-group points this test stored.)
    await points.createIndex({ tenantId: 1, ds: 1, metric: 1, time: 1 }, { name: "tenant_ds_metric_time" });
    await ensureIndexes(s.tally.database.db);
    const names = (await points.listIndexes().toArray()).map((i) => i.name);
    expect(names).toContain("tenant_ds_metric_cachegroup_time");
    expect(names).not.toContain("tenant_ds_metric_time");
  });

  it("summary.totalKiloBytes is always present; totalBytes has no float noise", async () => {
    const t = "2024-03-02T00:00:00Z";
    const points = [0, 1, 2].map((i) => ({
      deliveryService: "edge",
      metricType: "kbps",
      time: `2024-03-02T00:0${i}:00Z`,
      value: [1_208_929.1, 1_208_929.2, 1_208_929.3][i],
    }));
    await restCall(s, cdn, "/api/4.0/deliveryservice_stats", { method: "POST", body: JSON.stringify({ points }) });
    const r = await restCall(
      s,
      cdn,
      `/api/5.0/deliveryservice_stats?deliveryServiceName=edge&metricType=kbps&startDate=${t}&endDate=2024-03-02T00:05:00Z&exclude=series`,
    );
    const summary = ((await r.json()) as { response: { summary: { totalKiloBytes: number; totalBytes: number } } })
      .response.summary;
    expect(summary.totalBytes).toBe(Number((summary.totalKiloBytes * 1000).toPrecision(15)));
    expect(String(summary.totalBytes)).not.toMatch(/\.\d{6,}/);
    const empty = await restCall(
      s,
      cdn,
      `/api/4.0/deliveryservice_stats?deliveryServiceName=edge&metricType=kbps&startDate=2020-01-01T00:00:00Z&endDate=2020-01-01T01:00:00Z`,
    );
    expect(((await empty.json()) as { response: { summary: Record<string, unknown> } }).response.summary).toMatchObject(
      { totalKiloBytes: null, totalBytes: null },
    );
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let t: Credentials;

beforeAll(async () => {
  s = await startTestServer({ TALLY_DATA_DIR: mkdtempSync(join(tmpdir(), "tally-retry-")) });
  t = await createTenantWithClient(s, "ingester", "root");
});
afterAll(async () => {
  await s?.stop();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await restCall(s, t, path, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe("ingest: nothing acknowledged is lost, nothing is stored twice", () => {
  it("a batch whose items were all refused stores them once their cause is fixed, then is a replay", async () => {
    const now = Date.now();
    const points = Array.from({ length: 120 }, (_, i) => ({
      deliveryService: "late-ds",
      metricType: "tps_total",
      time: new Date(now - i * 60_000).toISOString(),
      value: i,
    }));
    const first = await post("/api/4.0/deliveryservice_stats", { batch_id: "ds-1", points });
    expect(first.status).toBe(200);
    expect(first.body.response.result).toMatchObject({ rejected: 120 });
    expect((await post("/api/4.0/deliveryservices", { xmlId: "late-ds" })).status).toBe(200);
    const again = await post("/api/4.0/deliveryservice_stats", { batch_id: "ds-1", points });
    expect(again.body.response.result).toMatchObject({ inserted: 120, rejected: 0 });
    const third = await post("/api/4.0/deliveryservice_stats", { batch_id: "ds-1", points });
    expect(third.body.response.result).toMatchObject({ replayed: true });
    const start = new Date(now - 200 * 60_000).toISOString();
    const stats = await restCall(
      s,
      t,
      `/api/4.0/deliveryservice_stats?deliveryServiceName=late-ds&metricType=tps_total&startDate=${start}&endDate=${new Date(now + 60_000).toISOString()}&exclude=series`,
    );
    expect(((await stats.json()) as any).response.summary.count).toBe(120);
  });

  it("telemetry: a batch run again after a crash between its writes and its completion mark adds nothing twice", async () => {
    expect(
      (
        await post("/telemetry/v1/metrics", {
          metrics: [{ name: "ONCE", kind: "count", buckets: [0, 1, 2], description: "exactly once" }],
        })
      ).status,
    ).toBe(200);
    const h = (os: string) => ({
      prefix: "build_id",
      channel: "nightly",
      version: "1",
      application: "Firefox",
      architecture: "x86",
      os,
      osVersion: "1",
      child: "false",
      label: "",
      date: "20240101",
      metric: "ONCE",
      histogram: [1, 2, 3],
      sum: 6,
      count: 6,
    });
    const batch = { batch_id: "once-1", histograms: [h("a"), h("b"), h("a")] };
    expect((await post("/telemetry/v1/histograms", batch)).status).toBe(200);
    // What a crash right after the writes leaves behind: the merges applied, no completion mark.
    await s.tally.database.db
      .collection("ingest_batches")
      .deleteOne({ tenantId: "ingester", api: "telemetry", batchId: "once-1" });
    const again = await post("/telemetry/v1/histograms", batch);
    expect(again.status).toBe(200);
    expect(again.body.result).toMatchObject({ inserted: 0, updated: 0, rejected: 0 });
    const docs = await s.tally.database.db
      .collection("histograms")
      .find({ tenantId: "ingester", metric: "ONCE" })
      .sort({ os: 1 })
      .toArray();
    expect(docs.map((d) => [d.os, d.count, d.histogram])).toEqual([
      ["a", 12, [2, 4, 6]],
      ["b", 6, [1, 2, 3]],
    ]);
    // A new batch still merges.
    expect(
      (await post("/telemetry/v1/histograms", { batch_id: "once-2", histograms: [h("b")] })).body.result,
    ).toMatchObject({ updated: 1 });
  });

  it("telemetry: a kill -9 of the database mid-batch, then a retry, counts every histogram exactly once", async () => {
    expect(
      (
        await post("/telemetry/v1/metrics", {
          metrics: [{ name: "K9", kind: "count", buckets: [0, 1, 2], description: "kill test" }],
        })
      ).status,
    ).toBe(200);
    const n = 3000;
    const histograms = Array.from({ length: n }, (_, i) => ({
      prefix: "build_id",
      channel: "nightly",
      version: "1",
      application: "Firefox",
      architecture: "x86",
      os: `os-${i}`,
      osVersion: "1",
      child: "false",
      label: "",
      date: "20240101",
      metric: "K9",
      histogram: [1, 2, 3],
      sum: 6,
      count: 6,
    }));
    for (const [round, delayMs] of [5, 20, 60].entries()) {
      const batch = `k9-${round}`;
      const pid = s.tally.database.embedded!.pid!;
      const sending = post("/telemetry/v1/histograms", { batch_id: batch, histograms }).catch(() => ({
        status: 0,
        body: undefined,
      }));
      await new Promise((r) => setTimeout(r, delayMs));
      process.kill(pid, "SIGKILL");
      await sending;
      // Re-send until it is acknowledged (the database restarts from its journal meanwhile).
      let ok = false;
      for (let i = 0; i < 80 && !ok; i++) {
        const r = await post("/telemetry/v1/histograms", { batch_id: batch, histograms }).catch(() => ({
          status: 0,
          body: undefined,
        }));
        ok = r.status === 200;
        if (!ok) await new Promise((res) => setTimeout(res, 250));
      }
      expect(ok).toBe(true);
      const totals = await s.tally.database.db
        .collection("histograms")
        .aggregate([
          { $match: { tenantId: "ingester", metric: "K9" } },
          { $group: { _id: null, count: { $sum: "$count" }, docs: { $sum: 1 } } },
        ])
        .toArray();
      expect(totals[0]).toMatchObject({ count: 6 * n * (round + 1), docs: n });
    }
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let parent: Credentials;
let child: Credentials;

const h = (extra: Record<string, unknown> = {}) => ({
  prefix: "build_id",
  channel: "nightly",
  version: "1",
  application: "Firefox",
  architecture: "x86",
  os: "Linux",
  osVersion: "1",
  child: "false",
  label: "",
  date: "20240101",
  metric: "GC",
  histogram: [1, 2, 3],
  sum: 6,
  count: 6,
  ...extra,
});

beforeAll(async () => {
  s = await startTestServer();
  parent = await createTenantWithClient(s, "p", "root");
  child = await createTenantWithClient(s, "p-kid", "p");
  for (const c of [parent, child]) {
    const res = await restCall(s, c, "/telemetry/v1/metrics", {
      method: "POST",
      body: JSON.stringify({ metrics: [{ name: "GC", kind: "count", buckets: [0, 1, 2], description: "gc" }] }),
    });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await s?.stop();
});

const post = (c: Credentials, body: unknown) =>
  restCall(s, c, "/telemetry/v1/histograms", { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));
const read = (c: Credentials) =>
  restCall(s, c, "/aggregates_by/build_id/channels/nightly/?version=1&dates=20240101&metric=GC").then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));

describe("one tenant cannot poison another's reads", () => {
  it("counts beyond what adds up exactly are refused at ingest, naming the item", async () => {
    const r = await post(child, {
      batch_id: "big",
      histograms: [h({ count: "9223372036854775807" }), h({ histogram: [1, "9007199254740993", 1] }), h()],
    });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ inserted: 1, rejected: 2 });
    expect(r.body.result.rejections.map((x: { index: number }) => x.index)).toEqual([0, 1]);
    expect((await read(parent)).status).toBe(200);
  });

  it("whatever is already stored, a read that includes it answers a clear 4xx, never a 500", async () => {
    await s.tally.database.db
      .collection("histograms")
      .updateOne({ tenantId: "p-kid", metric: "GC" }, { $set: { count: 2 ** 64, histogram: [0.5, 1, 2] } });
    for (const c of [child, parent, s.admin]) {
      const r = await read(c);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/GC on 20240101.*int64/);
    }
    await s.tally.database.db
      .collection("histograms")
      .updateOne({ tenantId: "p-kid", metric: "GC" }, { $set: { count: 6, histogram: [1, 2, 3] } });
    expect((await read(parent)).status).toBe(200);
  });

  it("tenants may define a metric with different layouts; a read merging them is a clear 400", async () => {
    const other = await createTenantWithClient(s, "p-kid2", "p");
    await restCall(s, other, "/telemetry/v1/metrics", {
      method: "POST",
      body: JSON.stringify({ metrics: [{ name: "GC", kind: "count", buckets: [0, 1, 2, 3, 4], description: "gc" }] }),
    });
    const r = await post(other, { batch_id: "o", histograms: [h({ histogram: [1, 1, 1, 1, 1] })] });
    expect(r.body.result).toMatchObject({ inserted: 1, rejected: 0 });
    expect((await read(other)).status).toBe(200);
    const merged = await read(parent);
    expect(merged.status).toBe(400);
    expect(merged.body.message).toMatch(/different bucket layouts/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const register = (creds: Parameters<typeof restCall>[1], body: unknown) =>
  restCall(s, creds, "/api/4.0/deliveryservices", { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));

describe("delivery-service ids are unique where they are looked up", () => {
  it("an explicit id that is taken is refused; the sequence skips ids chosen explicitly", async () => {
    const a = await createTenantWithClient(s, "ds-a", "root");
    const b = await createTenantWithClient(s, "ds-b", "root");
    expect((await register(a, { xmlId: "one", id: 2 })).status).toBe(200);
    const clash = await register(b, { xmlId: "two", id: 2 });
    expect(clash.status).toBe(409);
    expect(clash.body.alerts[0].text).toMatch(/id 2/);
    const seq1 = await register(b, { xmlId: "three" });
    const seq2 = await register(b, { xmlId: "four" });
    expect([seq1.body.response.id, seq2.body.response.id]).toEqual([1, 3]);
    // A lookup by id finds the one service: b asking for id 2 (a's) gets "no such" rather than a's data or its own.
    const now = new Date().toISOString();
    const r = await restCall(
      s,
      b,
      `/api/4.0/deliveryservice_stats?deliveryService=2&metricType=kbps&startDate=2024-01-01T00:00:00Z&endDate=${now}&interval=1d`,
    );
    expect(r.status).toBe(404);
    // Another tenant's xmlId is taken too (xmlIds are global); the attempt costs one sequence number.
    expect((await register(b, { xmlId: "one" })).status).toBe(409);
    expect((await register(b, { xmlId: "five" })).body.response.id).toBe(5);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { run } from "../records/fixture.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

/**
 * The tenancy matrix on root → A → {A1 → {A1a, A1b (inactive)}, A2}, B → B1, one client per tenant,
 * each tenant owning one namespace of records.
 */
let s: TestServer;
const clients: Record<string, Credentials> = {};
const tree: [string, string][] = [
  ["a", "root"],
  ["a1", "a"],
  ["a1a", "a1"],
  ["a1b", "a1"],
  ["a2", "a"],
  ["b", "root"],
  ["b1", "b"],
];

async function visible(tenant: string): Promise<string[]> {
  const res = await restCall(
    s,
    clients[tenant]!,
    "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?group_by=namespace",
  );
  if (res.status === 401) return ["(refused)"];
  const body = (await res.json()) as { summary: { group_value: string }[] };
  return body.summary.map((r) => r.group_value).sort();
}

beforeAll(async () => {
  s = await startTestServer();
  for (const [id, parent] of tree) {
    clients[id] = await createTenantWithClient(s, id, parent);
    const res = await restCall(
      s,
      clients[id]!,
      `/apis/results.tekton.dev/v1alpha2/parents/ns-${id}/results/r/records:batchCreate`,
      {
        method: "POST",
        body: JSON.stringify({ records: [run({ name: "x", created: "2024-01-01T00:00:00Z", reason: "Succeeded" })] }),
      },
    );
    expect(res.status).toBe(200);
  }
  await s.adminPost("/admin/v1/tenants/a1b:setActive", { active: false });
});
afterAll(async () => {
  await s?.stop();
});

describe("tenancy matrix", () => {
  it("a parent reads its descendants; a child can't read its parent; siblings can't read each other", async () => {
    expect(await visible("a")).toEqual(["ns-a", "ns-a1", "ns-a1a", "ns-a2"]);
    expect(await visible("a1")).toEqual(["ns-a1", "ns-a1a"]);
    expect(await visible("a1a")).toEqual(["ns-a1a"]);
    expect(await visible("a2")).toEqual(["ns-a2"]);
    expect(await visible("b")).toEqual(["ns-b", "ns-b1"]);
    expect(await visible("b1")).toEqual(["ns-b1"]);
  });

  it("an inactive tenant's own calls are refused, and its data disappears from its ancestors' view", async () => {
    expect(await visible("a1b")).toEqual(["(refused)"]);
    expect(await visible("a")).not.toContain("ns-a1b");
  });

  it("deactivating an ancestor cuts off the whole subtree at once; reactivating restores it", async () => {
    await s.adminPost("/admin/v1/tenants/a1:setActive", { active: false });
    expect(await visible("a1a")).toEqual(["(refused)"]);
    expect(await visible("a")).toEqual(["ns-a", "ns-a2"]);
    await s.adminPost("/admin/v1/tenants/a1:setActive", { active: true });
    expect(await visible("a1a")).toEqual(["ns-a1a"]);
  });

  it("a foreign namespace and a nonexistent one answer identically", async () => {
    const q = (ns: string) =>
      restCall(
        s,
        clients.a2!,
        `/apis/results.tekton.dev/v1alpha2/parents/${ns}/results/-/records/summary?summary=total,last_runtime`,
      ).then((r) => r.json());
    expect(await q("ns-b")).toEqual(await q("ns-nowhere"));
    expect(await q("ns-b")).toEqual({ summary: [{ last_runtime: null, total: 0 }] });
  });

  it("admin APIs are scoped to the caller's subtree: not yours is NotFound", async () => {
    const res = await restCall(s, clients.b!, "/admin/v1/tenants/a:setActive", {
      method: "POST",
      body: JSON.stringify({ active: false }),
    });
    expect(res.status).toBe(404);
    const list = (await (await restCall(s, clients.a1!, "/admin/v1/tenants")).json()) as { tenants: { id: string }[] };
    expect(list.tenants.map((t) => t.id).sort()).toEqual(["a1", "a1a", "a1b"]);
  });
});

import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import {
  createClientFor,
  createTenantWithClient,
  restCall,
  startTestServer,
  type TestServer,
} from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

async function tokenStatus(c: Credentials): Promise<number> {
  const res = await fetch(`${s.url}/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: c.clientId,
      client_secret: c.clientSecret,
    }),
  });
  return res.status;
}

async function freshToken(c: Credentials): Promise<string> {
  const res = await fetch(`${s.url}/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: c.clientId,
      client_secret: c.clientSecret,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A token signed with the server's own key, with chosen claims and header. */
async function forge(
  claims: { sub: string; tenant: string; permissions: string[] },
  opts: { typ?: string; iat?: number; exp?: number } = {},
): Promise<string> {
  const { kid, privateKey } = s.tally.app.keys.activeKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant: claims.tenant, permissions: claims.permissions })
    .setProtectedHeader({ alg: "ES256", kid, typ: opts.typ ?? "at+jwt" })
    .setIssuer("tally")
    .setAudience("tally-api")
    .setSubject(claims.sub)
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 600)
    .setJti(randomUUID())
    .sign(privateKey);
}

const writes = (token: string) => [
  restCall(s, token, "/v3/jobs", {
    method: "POST",
    body: JSON.stringify([{ application: "a", timestamp: new Date().toISOString(), job: { id: "x", state: "OK" } }]),
  }),
  restCall(s, token, "/api/4.0/deliveryservices", { method: "POST", body: JSON.stringify({ xmlId: "sneaky" }) }),
  restCall(s, token, "/admin/v1/clients", { method: "POST", body: JSON.stringify({ roles: ["reader"] }) }),
  restCall(s, token, "/admin/v1/tenants", {
    method: "POST",
    body: JSON.stringify({ id: `sub-${randomUUID().slice(0, 6)}`, name: "Sub" }),
  }),
];

describe("lifecycle and auth", () => {
  it("a deactivated tenant, or one under a deactivated ancestor, gets no tokens and its tokens are refused on every call", async () => {
    const parent = await createTenantWithClient(s, "fading", "root");
    const child = await createTenantWithClient(s, "fading-kid", "fading");
    const parentToken = await freshToken(parent);
    const childToken = await freshToken(child);
    expect((await restCall(s, childToken, "/v6/metrics/")).status).toBe(200);
    await s.adminPost("/admin/v1/tenants/fading:setActive", { active: false });
    for (const c of [parent, child]) expect(await tokenStatus(c)).toBe(401);
    for (const token of [parentToken, childToken]) {
      for (const res of await Promise.all([restCall(s, token, "/v6/metrics/"), ...writes(token)])) {
        expect(res.status, res.url).toBe(401);
        expect(res.headers.get("www-authenticate"), res.url).toMatch(/^Bearer/);
      }
    }
    await s.adminPost("/admin/v1/tenants/fading:setActive", { active: true });
    expect(await tokenStatus(child)).toBe(200);
  });

  it("a caller can grant only permissions it holds", async () => {
    const t = await createTenantWithClient(s, "esc", "root", ["TENANT:ADMIN"]);
    const res = await restCall(s, t, "/admin/v1/clients", {
      method: "POST",
      body: JSON.stringify({ tenant_id: "esc", roles: ["admin"] }),
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toMatch(/cannot grant permissions/);
    const ok = await restCall(s, t, "/admin/v1/clients", {
      method: "POST",
      body: JSON.stringify({ tenant_id: "esc", roles: ["TENANT:ADMIN"] }),
    });
    expect(ok.status).toBe(200);
  });

  it("the tenant of a call is always the client's tenant in the directory", async () => {
    const a = await createTenantWithClient(s, "claim-a", "root");
    await createTenantWithClient(s, "claim-b", "root");
    // A legitimate call warms any cache first.
    expect((await restCall(s, await freshToken(a), "/v6/metrics/")).status).toBe(200);
    const wrongTenant = await forge({ sub: a.clientId, tenant: "claim-b", permissions: ["METRICS:READ"] });
    expect((await restCall(s, wrongTenant, "/v6/metrics/")).status).toBe(401);
    // And the real client is unaffected right after.
    expect((await restCall(s, await freshToken(a), "/v6/metrics/")).status).toBe(200);
  });

  it("JWTs: typ must be at+jwt, iat not in the future, age at most one TTL", async () => {
    const c = await createClientFor(s, "root", ["reader"]);
    const claims = { sub: c.clientId, tenant: "root", permissions: ["METRICS:READ"] };
    const now = Math.floor(Date.now() / 1000);
    expect((await restCall(s, await forge(claims), "/v6/metrics/")).status).toBe(200);
    expect((await restCall(s, await forge(claims, { typ: "JWT" }), "/v6/metrics/")).status).toBe(401);
    expect((await restCall(s, await forge(claims, { iat: now + 3600, exp: now + 4000 }), "/v6/metrics/")).status).toBe(
      401,
    );
    expect(
      (await restCall(s, await forge(claims, { iat: now - 3 * 3600, exp: now + 600 }), "/v6/metrics/")).status,
    ).toBe(401);
  });

  it("every 401 carries WWW-Authenticate: Bearer, on every API and over Connect", async () => {
    const paths: [string, RequestInit?][] = [
      ["/v6/metrics/"],
      ["/v3/jobs/aggs", { method: "POST", body: "{}" }],
      ["/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total"],
      [
        "/api/4.0/deliveryservice_stats?deliveryServiceName=x&metricType=kbps&startDate=2024-01-01T00:00:00Z&endDate=2024-01-02T00:00:00Z",
      ],
      ["/aggregates_by/build_id/channels/"],
      ["/admin/v1/tenants"],
    ];
    for (const [p, init] of paths) {
      const res = await restCall(s, "not-a-token", p, init);
      expect(res.status, p).toBe(401);
      expect(res.headers.get("www-authenticate"), p).toMatch(/^Bearer/);
    }
    const connect = await fetch(`${s.url}/tally.metrics.v1.MetricsService/ListMetricsTypes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(connect.status).toBe(401);
    expect(connect.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("tenant-private answers are Cache-Control: private with Vary: Authorization", async () => {
    for (const p of ["/v6/metrics/", "/aggregates_by/submission_date/channels/", "/aggregates_by/build_id/channels/"]) {
      const res = await restCall(s, s.admin, p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get("cache-control"), p).toMatch(/^private/);
      expect(res.headers.get("vary"), p).toMatch(/Authorization/);
    }
  });
});

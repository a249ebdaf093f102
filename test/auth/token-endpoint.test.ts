import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${s.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

describe("POST /oauth2/token", () => {
  it("issues a bearer token for body credentials, with no-store", async () => {
    const res = await post(
      form({ grant_type: "client_credentials", client_id: s.admin.clientId, client_secret: s.admin.clientSecret }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(String(body.access_token).split(".")).toHaveLength(3);
    expect(String(body.scope).split(" ")).toContain("TENANT:ADMIN");
  });

  it("accepts HTTP Basic client authentication", async () => {
    const basic = Buffer.from(`${s.admin.clientId}:${s.admin.clientSecret}`).toString("base64");
    const res = await post(form({ grant_type: "client_credentials" }), { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
  });

  it("narrows permissions with scope; refuses a scope not granted", async () => {
    const ok = await post(
      form({
        grant_type: "client_credentials",
        client_id: s.admin.clientId,
        client_secret: s.admin.clientSecret,
        scope: "JOBS:READ",
      }),
    );
    expect(((await ok.json()) as { scope: string }).scope).toBe("JOBS:READ");
    const bad = await post(
      form({
        grant_type: "client_credentials",
        client_id: s.admin.clientId,
        client_secret: s.admin.clientSecret,
        scope: "EVERYTHING",
      }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_scope" });
  });

  it("answers the RFC 6749 §5.2 errors", async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ["no grant_type", {}, 400, "invalid_request"],
      ["wrong grant", { grant_type: "password", client_id: "x", client_secret: "y" }, 400, "unsupported_grant_type"],
      ["no credentials", { grant_type: "client_credentials" }, 401, "invalid_client"],
    ];
    for (const [name, f, status, error] of cases) {
      const res = await post(form(f));
      expect(res.status, name).toBe(status);
      expect(((await res.json()) as { error: string }).error, name).toBe(error);
      expect(res.headers.get("cache-control"), name).toBe("no-store");
    }
    const both = await post(
      form({ grant_type: "client_credentials", client_id: s.admin.clientId, client_secret: s.admin.clientSecret }),
      {
        authorization: `Basic ${Buffer.from(`${s.admin.clientId}:${s.admin.clientSecret}`).toString("base64")}`,
      },
    );
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: "invalid_request" });
    const json = await fetch(`${s.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(400);
    const get = await fetch(`${s.url}/oauth2/token`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("answers an unknown client and a wrong secret identically, with WWW-Authenticate", async () => {
    const unknown = await post(form({ grant_type: "client_credentials", client_id: "c-nobody", client_secret: "x" }));
    const wrong = await post(
      form({ grant_type: "client_credentials", client_id: s.admin.clientId, client_secret: "wrong" }),
    );
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
    expect(unknown.headers.get("www-authenticate")).toBe(wrong.headers.get("www-authenticate"));
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
  });

  it("rate-limits repeated failures for one client with 429 and Retry-After", async () => {
    const id = "c-hammered";
    let last: Response | undefined;
    for (let i = 0; i < 11; i++)
      last = await post(form({ grant_type: "client_credentials", client_id: id, client_secret: `guess-${i}` }));
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    // Other clients are unaffected.
    const ok = await post(
      form({ grant_type: "client_credentials", client_id: s.admin.clientId, client_secret: s.admin.clientSecret }),
    );
    expect(ok.status).toBe(200);
  });

  it("publishes the signing keys as JWKS without private parts", async () => {
    const res = await fetch(`${s.url}/.well-known/jwks.json`);
    const jwks = (await res.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });
});

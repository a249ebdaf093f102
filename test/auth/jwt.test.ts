import { createHmac } from "node:crypto";
import { SignJWT, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientFor, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let privateKey: CryptoKey;
let kid: string;
let publicJwk: JWK;

beforeAll(async () => {
  s = await startTestServer();
  const key = await s.tally.database.db
    .collection<{ _id: string; publicJwk: JWK }>("signing_keys")
    .findOne({ retiresAt: null });
  // The private key is sealed in the database; the server's own copy signs the forgeries.
  privateKey = s.tally.app.keys.activeKey().privateKey as CryptoKey;
  publicJwk = key!.publicJwk;
  kid = key!._id;
});
afterAll(async () => {
  await s?.stop();
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const claims = () => ({ tenant: "root", permissions: ["TENANT:ADMIN"] });

/** A token signed with the server's real key, with the given tweaks. */
async function forge(
  opts: { iss?: string; aud?: string; exp?: number; nbf?: number; kid?: string; sub?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims())
    .setProtectedHeader({ alg: "ES256", kid: opts.kid ?? kid, typ: "at+jwt" })
    .setIssuer(opts.iss ?? "tally")
    .setAudience(opts.aud ?? "tally-api")
    .setSubject(opts.sub ?? s.admin.clientId)
    .setIssuedAt(now - 5)
    .setJti("forged")
    .setExpirationTime(opts.exp ?? now + 300);
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(privateKey);
}

async function status(token: string | null): Promise<number> {
  const headers: Record<string, string> = token === null ? {} : { authorization: token };
  const res = await fetch(`${s.url}/admin/v1/tenants`, { headers });
  return res.status;
}

describe("bearer token verification", () => {
  it("accepts a genuine token, and a well-forged one (sanity check of the forging helper)", async () => {
    expect(await status(`Bearer ${await s.token(s.admin)}`)).toBe(200);
    expect(await status(`Bearer ${await forge()}`)).toBe(200);
  });

  it("answers 401 (never 500) for every attack", async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "ES256", kid };
    const payload = {
      ...claims(),
      iss: "tally",
      aud: "tally-api",
      sub: s.admin.clientId,
      iat: now,
      exp: now + 300,
      jti: "x",
    };
    const { privateKey: otherKey } = await generateKeyPair("ES256");
    const hs = (() => {
      const h = b64({ alg: "HS256", kid });
      const p = b64(payload);
      const sig = createHmac("sha256", JSON.stringify(publicJwk)).update(`${h}.${p}`).digest("base64url");
      return `${h}.${p}.${sig}`;
    })();
    const attacks: [string, string | null][] = [
      ["missing", null],
      ["empty bearer", "Bearer "],
      ["not bearer", `Token ${await forge()}`],
      ["alg none", `Bearer ${b64({ alg: "none", kid })}.${b64(payload)}.`],
      ["HS256 with the public key as secret", `Bearer ${hs}`],
      ["expired beyond skew", `Bearer ${await forge({ exp: now - 120 })}`],
      ["not yet valid", `Bearer ${await forge({ nbf: now + 600 })}`],
      ["wrong issuer", `Bearer ${await forge({ iss: "evil" })}`],
      ["wrong audience", `Bearer ${await forge({ aud: "other-api" })}`],
      ["unknown kid", `Bearer ${await forge({ kid: "no-such-kid" })}`],
      [
        "signed by another key",
        `Bearer ${await new SignJWT(claims()).setProtectedHeader(header).setIssuer("tally").setAudience("tally-api").setSubject(s.admin.clientId).setIssuedAt().setJti("x").setExpirationTime("5m").sign(otherKey)}`,
      ],
      ["embedded jwk header", `Bearer ${b64({ alg: "ES256", jwk: publicJwk })}.${b64(payload)}.AAAA`],
      ["oversized", `Bearer ${"a".repeat(9000)}.${"b".repeat(10)}.c`],
      ["malformed", "Bearer not.a.jwt"],
      ["garbage", "Bearer %%%"],
      ["unknown client", `Bearer ${await forge({ sub: "c-ghost" })}`],
    ];
    for (const [name, token] of attacks) expect(await status(token), name).toBe(401);
  });

  it("a token within the 30 s skew is still accepted", async () => {
    expect(await status(`Bearer ${await forge({ exp: Math.floor(Date.now() / 1000) - 10 })}`)).toBe(200);
  });

  it("a disabled client's tokens stop working; the client_id header must match the token", async () => {
    const reader = await createClientFor(s, "root", ["admin"]);
    const token = await s.token(reader);
    expect(await status(`Bearer ${token}`)).toBe(200);
    const mismatch = await restCall(s, token, "/admin/v1/tenants", { headers: { client_id: "someone-else" } });
    expect(mismatch.status).toBe(401);
    await s.adminPost(`/admin/v1/clients/${reader.clientId}:setActive`, { active: false });
    expect(await status(`Bearer ${token}`)).toBe(401);
  });

  it("rotation keeps tokens signed by the old key valid", async () => {
    const before = await s.token(s.admin);
    const { kid: newKid } = (await s.adminPost("/admin/v1/signing-keys:rotate", {})) as { kid: string };
    expect(newKid).not.toBe(kid);
    expect(await status(`Bearer ${before}`)).toBe(200);
    const jwks = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, newKid]));
  });
});

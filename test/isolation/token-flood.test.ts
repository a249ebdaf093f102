import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

/** A token request from a chosen loopback address (127.0.0.0/8 are all this machine). */
function tokenFrom(
  localAddress: string,
  clientId: string,
  secret: string,
): Promise<{ status: number; retryAfter: string | undefined; ms: number }> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: secret,
  }).toString();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${s.url}/oauth2/token`,
      {
        method: "POST",
        localAddress,
        agent: false,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers["retry-after"] as string | undefined,
            ms: performance.now() - t0,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("the token endpoint can't be used to lock out or starve clients", () => {
  it("a stranger's wrong secrets lock out the stranger, not the client's owner", async () => {
    let last: Awaited<ReturnType<typeof tokenFrom>> | undefined;
    for (let i = 0; i < 11; i++) last = await tokenFrom("127.0.0.2", s.admin.clientId, `guess-${i}`);
    expect(last!.status).toBe(429);
    expect(Number(last!.retryAfter)).toBeGreaterThan(0);
    // Even the right secret from the stranger's address waits out the window…
    expect((await tokenFrom("127.0.0.2", s.admin.clientId, s.admin.clientSecret)).status).toBe(429);
    // …while the owner, from its own address, gets its token.
    expect((await tokenFrom("127.0.0.1", s.admin.clientId, s.admin.clientSecret)).status).toBe(200);
  });

  it("300 concurrent bad logins with random client ids are refused rather than delaying a good one", async () => {
    expect((await tokenFrom("127.0.0.1", s.admin.clientId, s.admin.clientSecret)).status).toBe(200);
    const flood = Array.from({ length: 300 }, (_, i) =>
      tokenFrom("127.0.0.3", `c-random-${i}-${Math.random()}`, "nope"),
    );
    await new Promise((r) => setTimeout(r, 50));
    const good = await tokenFrom("127.0.0.1", s.admin.clientId, s.admin.clientSecret);
    const results = await Promise.all(flood);
    expect(good.status).toBe(200);
    expect(good.ms).toBeLessThan(1500);
    // The flood is refused, mostly at once, rather than queued behind the hashing.
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(200);
    expect(results.every((r) => r.status === 401 || r.status === 429)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTallyClient } from "@tally/sdk/web.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const origin = "https://dashboard.example";

beforeAll(async () => {
  s = await startTestServer({ CORS_ALLOWED_ORIGINS: origin });
});
afterAll(async () => {
  await s?.stop();
});

describe("@tally/sdk/web.js (connect-web over fetch, as in a browser)", () => {
  it("calls every protocol a browser has: Connect and gRPC-Web", async () => {
    for (const transport of ["connect", "grpc-web"] as const) {
      const tally = createTallyClient({ baseUrl: s.url, ...s.admin, transport });
      expect((await tally.metrics.listMetricsTypes({})).count, transport).toBe(3n);
    }
  });

  it("the server answers CORS preflights for configured origins only", async () => {
    const preflight = (o: string) =>
      fetch(`${s.url}/tally.metrics.v1.MetricsService/ListMetricsTypes`, {
        method: "OPTIONS",
        headers: {
          origin: o,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization,connect-protocol-version",
        },
      });
    const ok = await preflight(origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Connect-Protocol-Version/i);
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const rest = await fetch(`${s.url}/v6/metrics/`, {
      headers: { origin, authorization: `Bearer ${await s.token(s.admin)}` },
    });
    expect(rest.headers.get("access-control-allow-origin")).toBe(origin);
    expect(rest.headers.get("access-control-expose-headers")).toMatch(/ETag/);
  });
});

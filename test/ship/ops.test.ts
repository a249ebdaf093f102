import { gunzipSync, brotliDecompressSync } from "node:zlib";
import http from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../../server/src/platform/config.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTally, type RunningTally } from "../../server/src/server.js";
import { TEST_KEK, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

/** A raw GET, so the answer's bytes (compressed or not) are seen as sent. */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${s.url}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on("error", reject);
  });
}

describe("operations surface", () => {
  it("/healthz and /readyz answer; /metrics has calls, refusals, database commands and the embedded database's memory", async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${s.url}/readyz`)).json()).toEqual({ status: "ready" });
    expect((await restCall(s, s.admin, "/v6/metrics/")).status).toBe(200);
    s.tally.app.metrics.refusals.inc({ tenant: "probe", reason: "rate" });
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /tally_calls_total\{api="tally.metrics.v1.MetricsService",method="ListMetricsTypes",protocol="rest",code="ok"\} 1/,
    );
    expect(text).toMatch(/tally_call_duration_seconds_bucket\{le="[0-9.]+",api="tally.metrics.v1.MetricsService"/);
    expect(text).toMatch(/tally_admission_refusals_total\{tenant="probe",reason="rate"\} 1/);
    expect(text).toMatch(/tally_db_command_duration_seconds_count\{command="(aggregate|find)",outcome="ok"\} \d+/);
    expect(text).toMatch(/tally_nodejs_eventloop_lag_seconds \d/);
    expect(text).toMatch(/tally_embedded_db_memory_bytes\{kind="rss"\} \d+/);
  });

  it("/readyz and gRPC health say not ready until start-up work is done", async () => {
    const t: RunningTally = await startTally(
      loadConfig({ PORT: "0", LOG_LEVEL: "silent", TALLY_DEMO: "off", TALLY_KEK: TEST_KEK }),
      createLogger("silent"),
      () => {},
      { started: false },
    );
    try {
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "not ready", reasons: ["starting"] });
      const health = createClient(Health, createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" }));
      expect((await health.check({})).status).toBe(2);
      t.app.health.setStarted();
      expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      expect((await health.check({})).status).toBe(1);
    } finally {
      await t.stop();
    }
  });

  it("REST honours Accept-Encoding (br, gzip) above a threshold, and sends small answers as they are", async () => {
    const token = await s.token(s.admin);
    const path = "/v6/metrics/job-types/";
    const plain = await rawGet(path, { authorization: `Bearer ${token}` });
    expect(plain.status).toBe(200);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const expected = JSON.parse(plain.body.toString());
    expect(plain.body.length).toBeGreaterThan(1024);
    const br = await rawGet(path, { authorization: `Bearer ${token}`, "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(expected);
    expect(br.body.length).toBeLessThan(plain.body.length);
    const gz = await rawGet(path, { authorization: `Bearer ${token}`, "accept-encoding": "gzip, br;q=0" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(gunzipSync(gz.body).toString())).toEqual(expected);
    expect(gz.headers.vary).toMatch(/Accept-Encoding/);
    const small = await rawGet("/v6/metrics/no-such-metric/", {
      authorization: `Bearer ${token}`,
      "accept-encoding": "gzip",
    });
    expect(small.headers["content-encoding"]).toBeUndefined();
  });
});

import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

// Short timeouts so each hostile connection is closed within the test's time; the defaults are longer.
const limits = {
  SNIFF_TIMEOUT_MS: "1000",
  HEADERS_TIMEOUT_MS: "1500",
  REQUEST_TIMEOUT_MS: "2000",
  IDLE_TIMEOUT_MS: "2000",
};

let s: TestServer;
let port: number;

beforeAll(async () => {
  s = await startTestServer(limits);
  port = s.tally.port;
});
afterAll(async () => {
  await s?.stop();
});

/** Health over plain HTTP/1.1 (REST health lives on the Connect route), timed. */
async function healthMs(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(2000),
  });
  expect(res.status).toBe(200);
  return performance.now() - t0;
}

/** Opens a raw TCP connection, writes `first`, and resolves with how long the server kept it open. */
function heldOpenMs(first: string | undefined, drip?: { text: string; everyMs: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = net.connect(port, "127.0.0.1", () => {
      if (first !== undefined) c.write(first);
    });
    let timer: NodeJS.Timeout | undefined;
    if (drip) timer = setInterval(() => c.writable && c.write(drip.text), drip.everyMs);
    c.on("data", () => {});
    c.on("error", () => {});
    c.on("close", () => {
      clearInterval(timer);
      resolve(performance.now() - t0);
    });
    setTimeout(() => {
      c.destroy();
      reject(new Error("connection still open after 10 s"));
    }, 10_000).unref();
  });
}

describe("the listener under hostile connections", () => {
  it("a partial HTTP/2 preface neither spins the server nor blocks other requests, and is dropped", async () => {
    const held = [heldOpenMs("P"), heldOpenMs("PRI * HTTP/2.0\r\n")];
    // While both sit in the sniffer, the server keeps answering quickly (a spinning loop answers nothing).
    for (let i = 0; i < 5; i++) expect(await healthMs()).toBeLessThan(500);
    for (const ms of await Promise.all(held)) expect(ms).toBeLessThan(4000);
  });

  it("a connection that sends nothing is closed after the sniff timeout", async () => {
    expect(await heldOpenMs(undefined)).toBeLessThan(4000);
  });

  it("headers dripped one line at a time are cut off by the headers timeout", async () => {
    expect(await heldOpenMs("GET /v6/metrics/ HTTP/1.1\r\n", { text: "x-a: b\r\n", everyMs: 300 })).toBeLessThan(5000);
  });

  it("a body dripped one byte at a time is cut off by the request timeout", async () => {
    const head =
      "POST /v3/jobs/aggs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
    expect(await heldOpenMs(head, { text: " ", everyMs: 300 })).toBeLessThan(6000);
  });

  it("an idle HTTP/2 session is closed, and the server caps concurrent streams", async () => {
    const session = http2.connect(s.url);
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    expect(settings.maxConcurrentStreams).toBeLessThanOrEqual(128);
    expect(settings.maxConcurrentStreams).toBeGreaterThanOrEqual(100);
    expect(settings.maxHeaderListSize).toBeLessThanOrEqual(64 * 1024);
    const t0 = performance.now();
    await new Promise<void>((resolve) => session.once("close", () => resolve()));
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

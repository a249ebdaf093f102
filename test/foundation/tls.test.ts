import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tally-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  s = await startTestServer({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
});
afterAll(async () => {
  await s?.stop();
});

describe("TLS from config", () => {
  it("serves Connect over h2 and HTTP/1.1, gRPC, and REST on the one TLS port (ALPN)", async () => {
    expect(s.url).toMatch(/^https:/);
    const nodeOptions = { rejectUnauthorized: false };
    for (const httpVersion of ["2", "1.1"] as const) {
      const h = createClient(Health, createConnectTransport({ baseUrl: s.url, httpVersion, nodeOptions }));
      expect((await h.check({})).status, httpVersion).toBe(1);
    }
    expect((await createClient(Health, createGrpcTransport({ baseUrl: s.url, nodeOptions })).check({})).status).toBe(1);
    const status = await new Promise<number>((resolve, reject) =>
      https
        .get(`${s.url}/v6/metrics/`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject),
    );
    expect(status).toBe(401);
  });
});

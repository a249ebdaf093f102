import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { startEmbeddedMongo } from "../../server/src/embedded-mongo/index.js";
import { freePort, restCall, startTestServer, seedJobs } from "../helpers/server.js";

describe("faults", () => {
  it("the database stopping mid-flight gives Unavailable; service resumes without a restart once it is back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tally-dbdown-"));
    let db = await startEmbeddedMongo({ dataDir: dir });
    const port = db.port;
    const s = await startTestServer({ MONGODB_URI: db.uri });
    try {
      const path = "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary";
      expect((await restCall(s, s.admin, path)).status).toBe(200);
      await db.stop();
      await new Promise((r) => setTimeout(r, 2100)); // past the auth caches
      const down = await restCall(s, s.admin, path);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ code: Code.Unavailable });
      db = await startEmbeddedMongo({ dataDir: dir, port });
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await restCall(s, s.admin, path)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
    } finally {
      await s.stop();
      await db.stop();
    }
  }, 60_000);

  it("a deadline expiring during a slow aggregation answers DeadlineExceeded, and the server stays healthy", async () => {
    const s = await startTestServer();
    try {
      await seedJobs(s, "root", 150_000);
      const client = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "2" }));
      const headers = { authorization: `Bearer ${await s.token(s.admin)}` };
      const aggs = Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [
          `h${i}`,
          { kind: { case: "dateHistogram" as const, value: { field: "@timestamp", fixedInterval: "1h" } } },
        ]),
      );
      const err = await client
        .aggregateJobs({ aggs }, { headers, timeoutMs: 30 })
        .catch((e: unknown) => ConnectError.from(e));
      expect(err).toMatchObject({ code: Code.DeadlineExceeded });
      const health = createClient(Health, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
      expect((await health.check({})).status).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it("a client leaving a server stream mid-way is cleaned up; the server keeps answering", async () => {
    const s = await startTestServer();
    try {
      for (let i = 0; i < 5; i++) {
        const abort = new AbortController();
        const client = createClient(Health, createGrpcTransport({ baseUrl: s.url }));
        const seen: number[] = [];
        try {
          for await (const r of client.watch({ service: "" }, { signal: abort.signal })) {
            seen.push(r.status);
            abort.abort();
          }
        } catch (e) {
          expect(ConnectError.from(e).code).toBe(Code.Canceled);
        }
        expect(seen).toEqual([1]);
      }
      expect((await createClient(Health, createGrpcTransport({ baseUrl: s.url })).check({})).status).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it("SIGTERM under load: in-flight calls complete, new ones are refused, the process exits 0", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--conditions=tally-source", "--import", "tsx", "server/src/main.ts"], {
      // Room for all 20 calls at once: this test is about shutdown, not per-tenant admission.
      env: {
        ...process.env,
        PORT: String(port),
        TALLY_DEMO: "off",
        LOG_LEVEL: "warn",
        SHUTDOWN_GRACE_MS: "5000",
        TENANT_MAX_CONCURRENT_READS: "64",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const creds = await new Promise<{ id: string; secret: string }>((resolve, reject) => {
      let buf = "";
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const m = /client_id=(\S+) client_secret=(\S+)/.exec(buf);
        if (m) resolve({ id: m[1]!, secret: m[2]! });
      });
      child.once("exit", () => reject(new Error("server exited early")));
    });
    const url = `http://127.0.0.1:${port}`;
    let token = "";
    for (let i = 0; i < 50 && !token; i++) {
      const res = await fetch(`${url}/oauth2/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: creds.id,
          client_secret: creds.secret,
        }),
      }).catch(() => undefined);
      if (res?.ok) token = ((await res.json()) as { access_token: string }).access_token;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const call = () =>
      fetch(`${url}/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total`, {
        headers: { authorization: `Bearer ${token}` },
      }).then(
        (r) => r.status,
        () => "refused" as const,
      );
    const inflight = Array.from({ length: 20 }, call);
    await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGTERM");
    const statuses = await Promise.all(inflight);
    expect(statuses.every((x) => x === 200 || x === "refused")).toBe(true);
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThan(0);
    expect(await exited).toBe(0);
    expect(await call()).toBe("refused");
  });
});

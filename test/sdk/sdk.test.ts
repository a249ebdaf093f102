import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aggs,
  clientCredentials,
  createTallyClient,
  fieldViolations,
  isInvalidArgument,
  isNotFound,
  isPermissionDenied,
  lastDays,
  q,
} from "@tally/sdk";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import {
  TEST_KEK,
  createClientFor,
  createTenantWithClient,
  freePort,
  startTestServer,
  type TestServer,
} from "../helpers/server.js";

const run = promisify(execFile);
let s: TestServer;
let team: Credentials;

beforeAll(async () => {
  s = await startTestServer();
  team = await createTenantWithClient(s, "team", "root");
});
afterAll(async () => {
  await s?.stop();
});

const now = new Date();
const job = (id: string, state: string) => ({
  application: "atr",
  appType: "ec2",
  domain: "d",
  region: "us-east-1",
  timestamp: { seconds: BigInt(Math.floor(now.getTime() / 1000) - 3600), nanos: 0 },
  job: { id, name: id, state, durationMs: 10 },
});

describe("createTallyClient", () => {
  it("the same calls succeed over connect, grpc and grpc-web", async () => {
    const first = createTallyClient({ baseUrl: s.url, ...team });
    await first.jobs.ingestJobs({ batchId: "b-1", jobs: [job("a", "FAILED"), job("b", "SUCCEEDED")] });
    for (const transport of ["connect", "grpc", "grpc-web"] as const) {
      const c = createTallyClient({ baseUrl: s.url, ...team, transport });
      const res = await c.jobs.aggregateJobs({
        ...lastDays(1),
        aggs: { s: aggs.terms("job.state"), f: aggs.filter(q.term("job.state", "FAILED")) },
      });
      expect(res.data?.total, transport).toBe(2n);
      expect(res.data?.aggregations.f?.result, transport).toMatchObject({ case: "single", value: { docCount: 1n } });
    }
  });

  it("typed error helpers", async () => {
    const c = createTallyClient({ baseUrl: s.url, ...team });
    const e1 = await c.deliveryStats
      .getDeliveryServiceStats({ deliveryServiceName: "nope", metricType: "kbps", startDate: "0", endDate: "1" })
      .catch((e: unknown) => e);
    expect(isNotFound(e1)).toBe(true);
    const e2 = await c.jobs
      .aggregateJobs({ aggs: { x: aggs.terms("job.state", { size: 0 }) } })
      .catch((e: unknown) => e);
    expect(isInvalidArgument(e2)).toBe(true);
    // Field violations travel as google.rpc.BadRequest details, over every transport.
    for (const transport of ["connect", "grpc", "grpc-web"] as const) {
      const t = createTallyClient({ baseUrl: s.url, ...team, transport });
      const e3 = await t.records.getRecordListSummary({ parent: "bad" }).catch((e: unknown) => e);
      expect(fieldViolations(e3), transport).toEqual([
        { field: "parent", description: "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)" },
      ]);
      const e5 = await t.deliveryStats
        .getDeliveryServiceStats({ deliveryServiceName: "x", metricType: "kbps", startDate: "yesterday", endDate: "1" })
        .catch((e: unknown) => e);
      expect(fieldViolations(e5), transport).toEqual([{ field: "start_date", description: "Invalid startDate!" }]);
    }
    const res = await c.jobs.ingestJobs({ jobs: [{ ...job("bad", "nope") }] });
    expect(fieldViolations(res)).toEqual([
      { field: "job.state", description: expect.stringContaining("upper case"), index: 0 },
    ]);
    const reader = await createClientFor(s, "team", ["reader"]);
    const e4 = await createTallyClient({ baseUrl: s.url, ...reader })
      .jobs.ingestJobs({ jobs: [] })
      .catch((e: unknown) => e);
    expect(isPermissionDenied(e4)).toBe(true);
    expect(String((e4 as Error).message)).not.toContain(reader.clientSecret);
  });

  it("token expiry mid-run is invisible; concurrent calls share one refresh", async () => {
    let clock = Date.now();
    let tokenRequests = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith("/oauth2/token")) tokenRequests++;
      return fetch(input, init);
    };
    const tokens = clientCredentials({ baseUrl: s.url, ...team, now: () => clock, fetch: counting });
    const c = createTallyClient({ baseUrl: s.url, tokenProvider: tokens });
    await Promise.all(Array.from({ length: 10 }, () => c.metrics.listMetricsTypes({})));
    expect(tokenRequests).toBe(1);
    clock += 16 * 60_000; // past the 15-minute expiry
    await Promise.all(Array.from({ length: 10 }, () => c.metrics.listMetricsTypes({})));
    expect(tokenRequests).toBe(2);
  });

  it("after Unauthenticated the call is retried once with a fresh token", async () => {
    let calls = 0;
    const real = clientCredentials({ baseUrl: s.url, ...team });
    const c = createTallyClient({
      baseUrl: s.url,
      tokenProvider: async (force) => (++calls === 1 && !force ? "not-a-token" : real(force)),
    });
    expect((await c.metrics.listMetricsTypes({})).count).toBe(3n);
    expect(calls).toBe(2);
    const bad = createTallyClient({ baseUrl: s.url, token: "garbage" });
    await expect(bad.metrics.listMetricsTypes({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("reads are retried on Unavailable; ingest only when it carries an idempotency key", async () => {
    let connections = 0;
    // An overloaded server: every request answers 503 (Connect's Unavailable).
    const dead = http.createServer((req, res) => {
      connections++;
      req.resume();
      res.writeHead(503, { "content-type": "application/json" }).end('{"code":"unavailable","message":"overloaded"}');
    });
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(dead.address() as net.AddressInfo).port}`;
    const c = createTallyClient({
      baseUrl: url,
      token: "t",
      httpVersion: "1.1",
      retry: { maxAttempts: 4, baseDelayMs: 5 },
    });
    await expect(c.metrics.listMetricsTypes({})).rejects.toMatchObject({ code: Code.Unavailable });
    expect(connections).toBe(4);
    connections = 0;
    await expect(c.jobs.ingestJobs({ jobs: [] })).rejects.toBeInstanceOf(ConnectError);
    expect(connections).toBe(1);
    connections = 0;
    await expect(c.jobs.ingestJobs({ batchId: "k", jobs: [] })).rejects.toBeInstanceOf(ConnectError);
    expect(connections).toBe(4);
    dead.close();
  });

  it("a server restart during a read-only loop is absorbed by retries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tally-restart-"));
    const port = String(await freePort());
    const env = { PORT: port, TALLY_DATA_DIR: dir };
    let server = await startTestServer(env);
    const creds = server.admin;
    const c = createTallyClient({
      baseUrl: server.url,
      ...creds,
      httpVersion: "1.1",
      retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 1000 },
    });
    const loop = (async () => {
      let ok = 0;
      for (let i = 0; i < 40; i++) {
        await c.metrics.listMetricsTypes({});
        ok++;
        await new Promise((r) => setTimeout(r, 25));
      }
      return ok;
    })();
    await new Promise((r) => setTimeout(r, 200));
    await server.stop();
    const { startTally } = await import("../../server/src/server.js");
    const { loadConfig } = await import("../../server/src/platform/config.js");
    const { createLogger } = await import("../../server/src/platform/logger.js");
    const again = await startTally(
      loadConfig({ ...env, LOG_LEVEL: "silent", TALLY_DEMO: "off", TALLY_KEK: TEST_KEK }),
      createLogger("silent"),
    );
    expect(await loop).toBe(40);
    await again.stop();
    void server;
    server = undefined as never;
  });
});

describe("the tally CLI", () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ["--conditions=tally-source", "--import", "tsx", "sdk/bin/tally.js", ...args], {
      env: { ...process.env, TALLY_CONFIG: join(cfgDir, "profiles.json"), ...env },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  let cfgDir = "";

  it("round trip: create a client, log in, ingest an NDJSON file, query it back as JSON", async () => {
    cfgDir = mkdtempSync(join(tmpdir(), "tally-cli-"));
    const asAdmin = { TALLY_URL: s.url, TALLY_CLIENT_ID: s.admin.clientId, TALLY_CLIENT_SECRET: s.admin.clientSecret };
    const created = await cli(["admin", "clients", "create", "--tenant", "team", "--roles", "reader,writer"], asAdmin);
    expect(created.code).toBe(0);
    const { client, clientSecret } = JSON.parse(created.stdout) as { client: { id: string }; clientSecret: string };
    const login = await cli(["login", "--url", s.url], {
      TALLY_CLIENT_ID: client.id,
      TALLY_CLIENT_SECRET: clientSecret,
    });
    expect(login.code).toBe(0);
    const file = join(cfgDir, "jobs.ndjson");
    const at = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(
      file,
      ["c1", "c2", "c3"]
        .map((id) => JSON.stringify({ application: "cli", "@timestamp": at, job: { id, state: "SUCCEEDED" } }))
        .join("\n"),
    );
    const ingested = await cli(["ingest", "jobs", file]);
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ inserted: 3, rejected: 0 });
    const again = await cli(["ingest", "jobs", file]);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0 });
    const queried = await cli([
      "query",
      "jobs",
      "aggregate-jobs",
      "--json",
      "--data",
      JSON.stringify({ application: "cli", aggs: { s: { terms: { field: "job.state" } } } }),
    ]);
    expect(queried.code).toBe(0);
    expect(JSON.parse(queried.stdout).data.total).toBe("3");
  });

  it("exit codes: 2 for usage, 1 for a failed call; no secrets on argv", async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(["query", "jobs", "nope"])).code).toBe(2);
    expect((await cli(["login", "--client-secret", "x"])).code).toBe(2);
    const failed = await cli([
      "query",
      "records",
      "get-record-list-summary",
      "--output",
      "json",
      "--data",
      '{"parent":"x"}',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("name must match");
  });
});

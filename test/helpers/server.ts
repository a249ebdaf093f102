import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { MongoClient } from "mongodb";
import { loadConfig, type Config } from "../../server/src/platform/config.js";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTally, type RunningTally } from "../../server/src/server.js";

export interface TestServer {
  readonly tally: RunningTally;
  readonly url: string;
  readonly admin: Credentials;
  /** Log lines written so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** A fresh access token for the credentials (scope: space-separated permissions). */
  token(creds: Credentials, scope?: string): Promise<string>;
  /** Calls the REST admin API as the root admin. */
  adminPost(path: string, body: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The key-encryption key test servers share, so that several servers can share one database. */
export const TEST_KEK = Buffer.alloc(32, 7).toString("base64");

/** A real Tally on an ephemeral port over a fresh embedded database, as `npm start` runs it. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const config: Config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "info",
    TALLY_DEMO: "off",
    SHUTDOWN_GRACE_MS: "2000",
    TALLY_KEK: TEST_KEK,
    ...realMongoDb(env),
    ...env,
  });
  const tally = await startTally(config, createLogger("info", sink));
  if (!tally.admin) throw new Error("expected a fresh database");
  const admin = tally.admin;
  const tokens = new Map<string, string>();
  const token = async (creds: Credentials, scope?: string): Promise<string> => {
    const key = `${creds.clientId} ${scope ?? ""}`;
    const cached = tokens.get(key);
    if (cached) return cached;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
    });
    if (scope) form.set("scope", scope);
    const res = await fetch(`${tally.url}/oauth2/token`, { method: "POST", body: form });
    if (res.status !== 200) throw new Error(`token: HTTP ${res.status} ${await res.text()}`);
    const t = ((await res.json()) as { access_token: string }).access_token;
    tokens.set(key, t);
    return t;
  };
  return {
    tally,
    url: tally.url,
    admin,
    logs,
    token,
    async adminPost(path, body) {
      const res = await fetch(`${tally.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token(admin)}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop: async () => {
      await tally.stop();
      if (config.MONGODB_URI && config.MONGODB_DB.startsWith("tally_test_")) {
        const client = await new MongoClient(config.MONGODB_URI).connect();
        await client
          .db(config.MONGODB_DB)
          .dropDatabase()
          .finally(() => client.close());
      }
    },
  };
}

/**
 * The real-MongoDB lane (`npm run test:mongodb`): with TALLY_TEST_MONGODB_URI set, each test server
 * uses that MongoDB with a database of its own (dropped when it stops) instead of the embedded one.
 */
function realMongoDb(env: Record<string, string>): Record<string, string> {
  const uri = process.env.TALLY_TEST_MONGODB_URI;
  if (!uri || env.MONGODB_URI) return {};
  return { MONGODB_URI: uri, MONGODB_DB: `tally_test_${randomBytes(6).toString("hex")}` };
}

/** Creates a tenant (under `parentId`) and a client for it with the given roles. */
export async function createTenantWithClient(
  s: TestServer,
  id: string,
  parentId: string,
  roles: string[] = ["admin"],
): Promise<Credentials> {
  await s.adminPost("/admin/v1/tenants", { id, name: id.toUpperCase(), parent_id: parentId });
  return createClientFor(s, id, roles);
}

export async function createClientFor(s: TestServer, tenantId: string, roles: string[]): Promise<Credentials> {
  const c = (await s.adminPost("/admin/v1/clients", { tenant_id: tenantId, roles })) as {
    client: { id: string };
    client_secret: string;
  };
  return { clientId: c.client.id, clientSecret: c.client_secret };
}

/** `fetch` with a bearer token. */
export async function restCall(
  s: TestServer,
  creds: Credentials | string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const token = typeof creds === "string" ? creds : await s.token(creds);
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetch(`${s.url}${path}`, { ...init, headers });
}

/** Ingests jobs through `POST /v3/jobs` as the server's admin: the HTTP status. */
export async function postJobs(s: TestServer, jobs: readonly object[]): Promise<number> {
  return (await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status;
}

/** `POST /v3/jobs/aggs` for one application as the server's admin: the status and the JSON answer. */
export async function postJobsAggs(
  s: TestServer,
  application: string,
  aggs: unknown,
): Promise<{ status: number; json: any }> {
  const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
    method: "POST",
    body: JSON.stringify({ application, aggs }),
  });
  return { status: res.status, json: await res.json() };
}

/**
 * Stores `n` synthetic jobs for `tenantId` straight into the database (one a minute from the epoch,
 * application "x"), for tests that need a read to have real work to do.
 */
export async function seedJobs(s: TestServer, tenantId: string, n: number): Promise<void> {
  const docs = Array.from({ length: n }, (_, i) => ({
    tenantId,
    jobId: `j${i}`,
    application: "x",
    timestamp: new Date(i * 60_000),
    job: { id: `j${i}`, state: i % 3 ? "OK" : "FAILED", duration_ms: i },
  }));
  for (let i = 0; i < docs.length; i += 10_000)
    await s.tally.database.db.collection("jobs").insertMany(docs.slice(i, i + 10_000));
}

/** A TCP port that was free a moment ago, for tests that must know the port before the server starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

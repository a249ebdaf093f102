import { spawn } from "node:child_process";
import net from "node:net";
import { createClient, ensureTenant } from "../../server/src/auth/bootstrap.js";
import { loadConfig } from "../../server/src/platform/config.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTally, type RunningTally } from "../../server/src/server.js";
import { fmtMs, percentile, ratio, type Figure } from "./stats.js";

/**
 * The isolation figures: a quiet tenant's latency and health's, idle vs while a noisy tenant floods
 * heavy aggregations vs while 50 slow connections are held open. Runs Tally as `npm start` does (the
 * embedded database in its own process, default limits).
 */
export async function benchIsolation(noisyJobs: number, samples: number): Promise<Figure[]> {
  const tally = await startTally(
    loadConfig({ PORT: "0", LOG_LEVEL: "silent", TALLY_DEMO: "off", TOKEN_TTL_SECONDS: "86400" }),
    createLogger("silent"),
  );
  try {
    const token = async (tenant: string) => {
      await ensureTenant(tally.app.directory, tenant, tenant, "root");
      const c = await createClient(tally.app.directory, tenant, ["admin"]);
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: c.clientId,
        client_secret: c.clientSecret,
      });
      return (
        (await (await fetch(`${tally.url}/oauth2/token`, { method: "POST", body: form })).json()) as {
          access_token: string;
        }
      ).access_token;
    };
    const noisy = await token("noisy");
    const quiet = await token("quiet");
    await seed(tally, "noisy", noisyJobs);
    await seed(tally, "quiet", 2_000);

    const quietCall = () =>
      post(tally.url, quiet, {
        aggs: { by: { terms: { field: "job.state" } }, d: { avg: { field: "job.duration_ms" } } },
      });
    const health = () =>
      fetch(`${tally.url}/grpc.health.v1.Health/Check`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      }).then((r) => r.text());
    const measure = async () => {
      const q: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < samples; i++) {
        let t = performance.now();
        await quietCall();
        q.push(performance.now() - t);
        t = performance.now();
        await health();
        h.push(performance.now() - t);
      }
      return { q, h };
    };
    for (let i = 0; i < 20; i++) await quietCall(); // warm-up
    const idle = await measure();

    // The noisy tenant, from its own process as a real client would be: 20 callers looping heavy
    // aggregations (backing off 50 ms after a 429) until the parent has measured.
    const heavyBody = {
      aggs: Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `h${i}`,
          { date_histogram: { field: "@timestamp", fixed_interval: `${i + 1}h` } },
        ]),
      ),
    };
    // At the lowest CPU priority: on a real deployment the tenant's clients run on other machines and
    // take none of the server's cores; here they share its two.
    const flood = spawn("nice", ["-n", "19", process.execPath, "--input-type=module", "-e", floodScript], {
      env: { ...process.env, URL: tally.url, TOKEN: noisy, BODY: JSON.stringify(heavyBody) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    flood.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    const loaded = await measure();
    const exited = new Promise((r) => flood.once("exit", r));
    flood.stdin!.end("stop\n");
    await exited;
    const { done, refused } = JSON.parse(out || '{"done":0,"refused":0}') as { done: number; refused: number };

    // 50 connections that drip a header line now and then, as a slow client would.
    const slow = Array.from({ length: 50 }, () => {
      const c = net.connect(tally.port, "127.0.0.1", () => c.write("GET /v6/metrics/ HTTP/1.1\r\n"));
      const drip = setInterval(() => c.writable && c.write("x-slow: 1\r\n"), 1000);
      c.on("error", () => {});
      c.on("close", () => clearInterval(drip));
      return { c, drip };
    });
    await new Promise((r) => setTimeout(r, 200));
    const held = await measure();
    for (const { c, drip } of slow) {
      clearInterval(drip);
      c.destroy();
    }

    const size = `${noisyJobs} noisy jobs`;
    const row = (name: string, xs: number[], base: number[], p: number, target?: string): Figure => ({
      section: "isolation",
      name,
      size,
      value: fmtMs(percentile(xs, p)),
      baseline: `${fmtMs(percentile(base, p))} idle`,
      ratio: ratio(percentile(xs, p), percentile(base, p)),
      target,
    });
    return [
      row("quiet tenant p50, noisy tenant flooding", loaded.q, idle.q, 50),
      row("quiet tenant p99, noisy tenant flooding", loaded.q, idle.q, 99, "≤ 2×"),
      row("health p99, noisy tenant flooding", loaded.h, idle.h, 99, "< 100 ms"),
      { section: "isolation", name: "noisy tenant: answered / refused (429)", size, value: `${done} / ${refused}` },
      row("quiet tenant p50, 50 slow connections held", held.q, idle.q, 50),
      row("quiet tenant p99, 50 slow connections held", held.q, idle.q, 99, "≤ 2×"),
      row("health p99, 50 slow connections held", held.h, idle.h, 99, "< 100 ms"),
    ];
  } finally {
    await tally.stop();
  }
}

async function seed(tally: RunningTally, tenantId: string, n: number): Promise<void> {
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < n; i += 10_000) {
    const docs = Array.from({ length: Math.min(10_000, n - i) }, (_, k) => {
      const j = i + k;
      return {
        tenantId,
        jobId: `${tenantId}-${j}`,
        application: "bench",
        timestamp: new Date(t0 + j * 30_000),
        job: { id: `${tenantId}-${j}`, state: j % 7 ? "SUCCEEDED" : "FAILED", duration_ms: (j * 37) % 100_000 },
      };
    });
    await tally.database.db.collection("jobs").insertMany(docs);
  }
}

async function post(url: string, token: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}/v3/jobs/aggs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The noisy tenant's load generator (runs in a child process; stops when its stdin closes). */
const floodScript = `
let stop = false, done = 0, refused = 0;
process.stdin.on("data", () => { stop = true; });
process.stdin.on("end", () => { stop = true; });
const call = async () => {
  const res = await fetch(process.env.URL + "/v3/jobs/aggs", { method: "POST", headers: { authorization: "Bearer " + process.env.TOKEN, "content-type": "application/json" }, body: process.env.BODY });
  await res.arrayBuffer();
  return res.status;
};
await Promise.all(Array.from({ length: 20 }, async () => {
  while (!stop) {
    const status = await call().catch(() => 0);
    if (status === 429) { refused++; await new Promise((r) => setTimeout(r, 50)); } else done++;
  }
}));
process.stdout.write(JSON.stringify({ done, refused }));
`;

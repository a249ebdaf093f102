import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let dir: string;
let tenantEnv: Record<string, string>;

/** Runs the CLI from source; `input` goes to its standard input. */
function cli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--conditions=tally-source", "--import", "tsx", "sdk/bin/tally.js", ...args],
      { env: { ...process.env, TALLY_CONFIG: join(dir, "profiles.json"), ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? "");
  });
}

const ndjson = (name: string, items: unknown[]) => {
  const file = join(dir, name);
  writeFileSync(file, items.map((x) => JSON.stringify(x)).join("\n"));
  return file;
};

beforeAll(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "tally-onboard-"));
  const asAdmin = { TALLY_URL: s.url, TALLY_CLIENT_ID: s.admin.clientId, TALLY_CLIENT_SECRET: s.admin.clientSecret };
  expect((await cli(["admin", "tenants", "create", "newco", "New Co"], asAdmin)).code).toBe(0);
  const created = await cli(["admin", "clients", "create", "--tenant", "newco", "--roles", "reader,writer"], asAdmin);
  const { client, clientSecret } = JSON.parse(created.stdout) as { client: { id: string }; clientSecret: string };
  // The secret arrives on standard input, never on argv.
  const login = await cli(
    ["login", "--url", s.url, "--client-secret-stdin"],
    { TALLY_CLIENT_ID: client.id },
    `${clientSecret}\n`,
  );
  expect(login.code, login.stderr).toBe(0);
  tenantEnv = {};
}, 60_000);
afterAll(async () => {
  await s?.stop();
});

describe("the CLI onboards a new tenant in every API", () => {
  it("delivery stats: all refused (no such service) → exit 1 with FILE:LINE; registered; re-run stores every point; again is a replay", async () => {
    const now = Date.now();
    const file = ndjson(
      "points.ndjson",
      Array.from({ length: 120 }, (_, i) => ({
        deliveryService: "newco-cdn",
        metricType: "tps_total",
        time: new Date(now - i * 60_000).toISOString(),
        value: i,
      })),
    );
    const first = await cli(["ingest", "delivery-stats", file, "--batch-size", "50"], tenantEnv);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ inserted: 0, rejected: 120 });
    expect(first.stderr).toContain(`${file}:1: deliveryService: No such Delivery Service: newco-cdn`);
    const reg = await cli(["register", "delivery-service", "newco-cdn"], tenantEnv);
    expect(reg.code, reg.stderr).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ xmlId: "newco-cdn", tenantId: "newco" });
    const second = await cli(["ingest", "delivery-stats", file, "--batch-size", "50"], tenantEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ inserted: 120, rejected: 0 });
    const third = await cli(["ingest", "delivery-stats", file, "--batch-size", "50"], tenantEnv);
    expect(JSON.parse(third.stdout)).toMatchObject({ inserted: 0, rejected: 0, replayedBatches: 3 });
    expect(third.stderr).toMatch(/3 batch\(es\) had been stored before/);
  }, 60_000);

  it("metrics and telemetry: register what the data refers to, ingest, and the queries answer", async () => {
    const choices = ndjson("choices.ndjson", [{ id: 1, name: "ingest-scan", title: "Ingest Scan" }]);
    expect((await cli(["register", "metric-choices", choices, "--type", "job-types"], tenantEnv)).code).toBe(0);
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    const rows = ndjson("rows.ndjson", [{ choice_id: 1, occurred: hour, values: { completed_count: 5 } }]);
    const ing = await cli(["ingest", "metrics", rows, "--type", "job-types"], tenantEnv);
    expect(ing.code, ing.stderr).toBe(0);
    expect(JSON.parse(ing.stdout)).toMatchObject({ inserted: 1 });
    const defs = ndjson("defs.ndjson", [
      { name: "NEWCO_MS", kind: "linear", buckets: [0, 10, 20], description: "newco" },
    ]);
    expect((await cli(["register", "telemetry-metrics", defs], tenantEnv)).code).toBe(0);
    const hists = ndjson("hists.ndjson", [
      {
        prefix: "build_id",
        channel: "nightly",
        version: "1",
        date: "20240101",
        metric: "NEWCO_MS",
        application: "Firefox",
        architecture: "x86",
        os: "Linux",
        osVersion: "1",
        child: "false",
        histogram: [1, 2, 3],
        sum: 30,
        count: 6,
      },
    ]);
    const th = await cli(["ingest", "telemetry", hists], tenantEnv);
    expect(th.code, th.stderr).toBe(0);
    expect(JSON.parse(th.stdout)).toMatchObject({ inserted: 1 });
    const res = await restCall(
      s,
      s.admin,
      "/aggregates_by/build_id/channels/nightly/?version=1&dates=20240101&metric=NEWCO_MS",
    );
    expect(((await res.json()) as { data: { count: number }[] }).data[0]!.count).toBe(6);
  }, 60_000);

  it("a bad line is reported by its line number while the good ones are stored", async () => {
    const at = new Date().toISOString();
    const file = ndjson("jobs.ndjson", [
      { application: "n", "@timestamp": at, job: { id: "a", state: "OK" } },
      { application: "n", "@timestamp": "yesterday", job: { id: "b", state: "OK" } },
      { application: "n", "@timestamp": at, job: { id: "c", state: "OK" } },
    ]);
    writeFileSync(file, `${readFileSync(file, "utf8")}\nnot json`);
    const r = await cli(["ingest", "jobs", file], tenantEnv);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ inserted: 2, rejected: 2 });
    expect(r.stderr).toContain(`${file}:2:`);
    expect(r.stderr).toContain(`${file}:4: not valid JSON`);
  });

  it("tally query prints the API's REST shape by default, the RPC's JSON with --output json", async () => {
    const data = JSON.stringify({ application: "n", aggs: { s: { terms: { field: "job.state" } } } });
    const rest = await cli(["query", "jobs", "aggregate-jobs", "--data", data], tenantEnv);
    expect(rest.code, rest.stderr).toBe(0);
    // Elasticsearch's shape, as the REST API answers: buckets with key and doc_count, total a number.
    expect(JSON.parse(rest.stdout)).toMatchObject({
      data: { total: 2, aggregations: { s: { buckets: [{ key: "OK", doc_count: 2 }] } } },
    });
    const json = await cli(["query", "jobs", "aggregate-jobs", "--output", "json", "--data", data], tenantEnv);
    expect(JSON.parse(json.stdout)).toMatchObject({ data: { total: "2" } });
    const ds = await cli(
      [
        "query",
        "delivery-stats",
        "get-delivery-service-stats",
        "--data",
        JSON.stringify({ deliveryServiceName: "newco-cdn", metricType: "tps_total" }),
      ],
      tenantEnv,
    );
    expect(ds.code).toBe(1);
    expect(ds.stderr).toContain('"alerts"');
  });

  it("with the CLI alone, the new tenant's data answers in all five APIs (REST shapes)", async () => {
    const runs = ndjson("runs.ndjson", [
      {
        name: "run-1",
        data: {
          type: "tekton.dev/v1.PipelineRun",
          value: {
            metadata: { name: "run-1", creationTimestamp: new Date().toISOString() },
            status: { conditions: [{ reason: "Succeeded" }] },
          },
        },
      },
    ]);
    const ri = await cli(["ingest", "records", runs, "--parent", "newco-ns/results/r1"], tenantEnv);
    expect(ri.code, ri.stderr).toBe(0);
    const query = async (api: string, method: string, data: unknown) => {
      const r = await cli(["query", api, method, "--data", JSON.stringify(data)], tenantEnv);
      expect(r.code, `${api} ${method}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as Record<string, any>;
    };
    expect(
      (await query("records", "get-record-list-summary", { parent: "-/results/-", summary: "total,succeeded" }))
        .summary,
    ).toEqual([{ succeeded: 1, total: 1 }]);
    expect((await query("jobs", "aggregate-jobs", { application: "n" })).data.total).toBe(2);
    const plot = await query("metrics", "get-plot-data", {
      name: "job-types",
      started: "P2D",
      column: ["completed_count"],
    });
    expect(plot.results[0].values.map((v: { value: number }) => v.value)).toContain(5);
    const start = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const stats = await query("delivery-stats", "get-delivery-service-stats", {
      deliveryServiceName: "newco-cdn",
      metricType: "tps_total",
      startDate: start,
      endDate: new Date().toISOString(),
      exclude: "series",
    });
    expect(stats.response.summary.count).toBe(120);
    const agg = await query("telemetry", "get-aggregates", {
      prefix: "build_id",
      channel: "nightly",
      version: "1",
      dates: "20240101",
      metric: "NEWCO_MS",
    });
    expect(agg.data[0].count).toBe(6);
  });

  it("--help exits 0 and --version prints the version", async () => {
    expect((await cli(["--help"], {})).code).toBe(0);
    expect((await cli(["--version"], {})).stdout).toMatch(/^tally \d/);
  });
});

import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemo } from "../../server/src/demo/load.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let doc: {
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
    >
  >;
  components: { schemas: Record<string, unknown> };
};
let demoSecret = "";
let token = "";
let clientId = "";

const today = new Date().toISOString().slice(0, 10).replace(/-/g, "");
const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
const now = new Date().toISOString();

beforeAll(async () => {
  s = await startTestServer();
  await loadDemo(
    s.tally,
    createLogger("silent"),
    (l) => (demoSecret = /client_secret=(\S+)/.exec(l)?.[1] ?? demoSecret),
    { jobs: 2000, recordRunsPerDay: 4, deliveryDays: 1, telemetryDates: 2, metricDays: 2 },
  );
  token = await s.token(s.admin);
  doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as typeof doc;
  const created = await s.adminPost("/admin/v1/clients", { tenant_id: "demo", roles: ["reader"] });
  clientId = (created as { client: { id: string } }).client.id;
}, 60_000);
afterAll(async () => {
  await s?.stop();
});

/** One real call per case: [operationId, method, path, body, expect an error?]. */
type Case = readonly [string, string, string, unknown, boolean];
const cases = (): Case[] => [
  ["AdminService.CreateTenant", "POST", "/admin/v1/tenants", { id: "oa-tenant", name: "OA" }, false],
  ["AdminService.CreateTenant", "POST", "/admin/v1/tenants", { id: "Not An Id", name: "x" }, true],
  ["AdminService.ListTenants", "GET", "/admin/v1/tenants", undefined, false],
  ["AdminService.SetTenantActive", "POST", "/admin/v1/tenants/oa-tenant:setActive", { active: true }, false],
  ["AdminService.SetTenantActive", "POST", "/admin/v1/tenants/no-such:setActive", { active: true }, true],
  ["AdminService.CreateClient", "POST", "/admin/v1/clients", { tenant_id: "oa-tenant", roles: ["reader"] }, false],
  ["AdminService.CreateClient", "POST", "/admin/v1/clients", { tenant_id: "oa-tenant", roles: ["nope"] }, true],
  ["AdminService.ListClients", "GET", "/admin/v1/clients", undefined, false],
  ["AdminService.SetClientActive", "POST", `/admin/v1/clients/${clientId}:setActive`, { active: true }, false],
  ["AdminService.SetClientActive", "POST", "/admin/v1/clients/c-none:setActive", { active: true }, true],
  ["AdminService.RotateClientSecret", "POST", `/admin/v1/clients/${clientId}:rotateSecret`, {}, false],
  ["AdminService.RotateClientSecret", "POST", "/admin/v1/clients/c-none:rotateSecret", {}, true],
  ["AdminService.RotateSigningKey", "POST", "/admin/v1/signing-keys:rotate", {}, false],
  [
    "DeliveryStatsService.GetDeliveryServiceStats",
    "GET",
    `/api/4.0/deliveryservice_stats?deliveryServiceName=demo1&metricType=kbps&startDate=${hourAgo}&endDate=${now}&interval=5m`,
    undefined,
    false,
  ],
  [
    "DeliveryStatsService.GetDeliveryServiceStats.4",
    "GET",
    `/api/5.0/deliveryservice_stats?deliveryServiceName=demo1&metricType=tps_total&startDate=${hourAgo}&endDate=${now}`,
    undefined,
    false,
  ],
  [
    "DeliveryStatsService.GetDeliveryServiceStats",
    "GET",
    "/api/4.0/deliveryservice_stats?deliveryServiceName=demo1",
    undefined,
    true,
  ],
  [
    "DeliveryStatsService.IngestDeliveryServiceStats",
    "POST",
    "/api/4.0/deliveryservice_stats",
    { points: [{ deliveryService: "demo1", metricType: "kbps", time: now, value: 1 }] },
    false,
  ],
  ["DeliveryStatsService.IngestDeliveryServiceStats", "POST", "/api/4.0/deliveryservice_stats", { points: "no" }, true],
  ["DeliveryStatsService.RegisterDeliveryService", "POST", "/api/4.0/deliveryservices", { xmlId: "oa-ds" }, false],
  ["DeliveryStatsService.RegisterDeliveryService", "POST", "/api/4.0/deliveryservices", { xmlId: "bad xml id" }, true],
  [
    "JobsService.AggregateJobs",
    "POST",
    "/v3/jobs/aggs",
    {
      application: "atr",
      aggs: {
        s: { terms: { field: "job.state" } },
        d: { date_histogram: { field: "@timestamp", calendar_interval: "day" } },
      },
    },
    false,
  ],
  ["JobsService.AggregateJobs", "POST", "/v3/jobs/aggs", { aggs: { s: { nope: {} } } }, true],
  [
    "JobsService.IngestJobs",
    "POST",
    "/v3/jobs",
    [{ application: "oa", "@timestamp": now, job: { id: "oa-1", state: "OK" } }],
    false,
  ],
  ["JobsService.IngestJobs", "POST", "/v3/jobs", Array.from({ length: 10_001 }, () => ({})), true],
  ["MetricsService.ListMetricsTypes", "GET", "/v6/metrics/", undefined, false],
  ["MetricsService.GetMetricsType", "GET", "/v6/metrics/job-types/", undefined, false],
  ["MetricsService.GetMetricsType", "GET", "/v6/metrics/nope/", undefined, true],
  ["MetricsService.GetPlotData", "GET", "/v6/metrics/job-types/plot-data/?started=P1D", undefined, false],
  ["MetricsService.GetPlotData", "GET", "/v6/metrics/job-types/plot-data/?choice_id=999999", undefined, true],
  [
    "MetricsService.IngestMetricRows",
    "POST",
    "/v6/metrics/job-types/rows",
    { choices: [{ id: 9001, name: "oa" }], rows: [] },
    false,
  ],
  ["MetricsService.IngestMetricRows", "POST", "/v6/metrics/nope/rows", { rows: [] }, true],
  ["MetricsService.IngestMetricEvents", "POST", "/v6/metrics/job-types/events", { events: [] }, false],
  ["MetricsService.IngestMetricEvents", "POST", "/v6/metrics/nope/events", { events: [] }, true],
  [
    "RecordsService.GetRecordListSummary",
    "GET",
    "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total,avg_duration&group_by=pipeline",
    undefined,
    false,
  ],
  [
    "RecordsService.GetRecordListSummary",
    "GET",
    "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=bogus",
    undefined,
    true,
  ],
  [
    "RecordsService.CreateRecord",
    "POST",
    "/apis/results.tekton.dev/v1alpha2/parents/oa/results/r/records",
    {
      name: "oa-1",
      data: { type: "tekton.dev/v1.PipelineRun", value: { metadata: { name: "oa-1", creationTimestamp: now } } },
    },
    false,
  ],
  [
    "RecordsService.CreateRecord",
    "POST",
    "/apis/results.tekton.dev/v1alpha2/parents/oa/results/r/records",
    { name: "oa-2" },
    true,
  ],
  [
    "RecordsService.IngestRecords",
    "POST",
    "/apis/results.tekton.dev/v1alpha2/parents/oa/results/r/records:batchCreate",
    { records: [] },
    false,
  ],
  [
    "RecordsService.IngestRecords",
    "POST",
    "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records:batchCreate",
    { records: [] },
    true,
  ],
  ["TelemetryService.ListChannels", "GET", "/aggregates_by/build_id/channels/", undefined, false],
  ["TelemetryService.ListChannels", "GET", "/aggregates_by/nope/channels/", undefined, true],
  ["TelemetryService.ListDates", "GET", "/aggregates_by/build_id/channels/nightly/dates/", undefined, false],
  ["TelemetryService.ListDates", "GET", "/aggregates_by/nope/channels/nightly/dates/", undefined, true],
  ["TelemetryService.GetFilters", "GET", "/filters/?channel=nightly&version=120", undefined, false],
  ["TelemetryService.GetFilters", "GET", "/filters/", undefined, true],
  [
    "TelemetryService.GetAggregates",
    "GET",
    `/aggregates_by/build_id/channels/nightly/?version=120&dates=${today}&metric=GC_MS`,
    undefined,
    false,
  ],
  [
    "TelemetryService.GetAggregates",
    "GET",
    `/aggregates_by/build_id/channels/nightly/?version=120&dates=${today}`,
    undefined,
    true,
  ],
  [
    "TelemetryService.PutMetricDefinitions",
    "POST",
    "/telemetry/v1/metrics",
    { metrics: [{ name: "OA_MS", kind: "linear", buckets: [0, 1, 2], description: "oa" }] },
    false,
  ],
  ["TelemetryService.PutMetricDefinitions", "POST", "/telemetry/v1/metrics", { metrics: "no" }, true],
  ["TelemetryService.IngestHistograms", "POST", "/telemetry/v1/histograms", { batch_id: "oa", histograms: [] }, false],
  ["TelemetryService.IngestHistograms", "POST", "/telemetry/v1/histograms", { histograms: [] }, true],
];

function operation(id: string) {
  for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) if (op.operationId === id) return op;
  return undefined;
}

describe("the OpenAPI document", () => {
  it("is served, with the OAuth2 client-credentials scheme, and a docs page that works offline", async () => {
    expect(doc).toMatchObject({
      openapi: "3.1.0",
      components: { securitySchemes: { oauth2: { flows: { clientCredentials: { tokenUrl: "/oauth2/token" } } } } },
    });
    const page = await fetch(`${s.url}/docs`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  it("every API route is exercised below, successes and errors", () => {
    const ids = new Set(cases().map((c) => c[0]));
    const documented = Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops).map((op) => op.operationId))
      .filter((id) => id.includes("Service.") && !/\.\d+$/.test(id));
    for (const id of documented) expect(ids, id).toContain(id);
  });

  it("describes the real answer of every route, success and error (validated against the document)", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: "tally", components: doc.components }, "tally");
    const failures: string[] = [];
    for (const [id, method, path, body, isError] of cases()) {
      const op = operation(id);
      expect(op, id).toBeDefined();
      const res = await fetch(`${s.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as unknown;
      expect(res.status >= 400, `${id} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`).toBe(isError);
      const response = op!.responses[isError ? "default" : "200"]!;
      const schema = JSON.parse(
        JSON.stringify(response.content!["application/json"]!.schema).replace(/"#\/components/g, '"tally#/components'),
      );
      const validate = ajv.compile(schema);
      if (!validate(json))
        failures.push(
          `${id} ${method} ${path} → ${res.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(json).slice(0, 300)}`,
        );
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

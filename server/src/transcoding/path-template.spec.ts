import { describe, expect, it } from "vitest";
import { DeliveryStatsService } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { MetricsService } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { RecordsService } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import { TelemetryService } from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import { AdminService } from "@tally/sdk/gen/tally/admin/v1/admin_pb.js";
import { matchPathTemplate, parsePathTemplate } from "./path-template.js";
import { RouteTable, routesFromServices } from "./rules.js";

const table = new RouteTable(
  routesFromServices([
    JobsService,
    RecordsService,
    MetricsService,
    DeliveryStatsService,
    TelemetryService,
    AdminService,
  ]),
);

function resolve(method: string, path: string) {
  const { match, allowed } = table.match(method, path);
  return {
    rpc: match ? `${match.route.method.parent.name}.${match.route.method.name}` : undefined,
    params: Object.fromEntries(match?.pathParams ?? []),
    allowed,
  };
}

describe("path templates", () => {
  it("parses variables with sub-templates and verbs", () => {
    const t = parsePathTemplate("/apis/results.tekton.dev/v1alpha2/parents/{parent=*/results/*}/records:batchCreate");
    expect(t.verb).toBe("batchCreate");
    expect(t.variables).toEqual([{ fieldPath: "parent", start: 4, length: 3 }]);
  });

  it("matches ** followed by more segments, backtracking", () => {
    const t = parsePathTemplate("/v1/{name=**}/items/{id}");
    expect(Object.fromEntries(matchPathTemplate(t, "/v1/a/b/c/items/7")!)).toEqual({ name: "a/b/c", id: "7" });
    expect(Object.fromEntries(matchPathTemplate(t, "/v1/items/7")!)).toEqual({ name: "", id: "7" });
    expect(matchPathTemplate(t, "/v1/a/b")).toBeUndefined();
  });

  it("decodes each segment after splitting, so %2F stays inside a segment", () => {
    const t = parsePathTemplate("/x/{id}");
    expect(matchPathTemplate(t, "/x/a%2Fb")?.get("id")).toBe("a/b");
    expect(matchPathTemplate(t, "/x/%E0%A4%A")).toBeUndefined();
  });

  it("rejects malformed templates", () => {
    expect(() => parsePathTemplate("no-slash")).toThrow(/must start/);
    expect(() => parsePathTemplate("/a/{Bad}")).toThrow(/bad field path/);
  });
});

describe("the five APIs' real paths", () => {
  it("jobs", () => {
    expect(resolve("POST", "/v3/jobs/aggs").rpc).toBe("JobsService.AggregateJobs");
    expect(resolve("POST", "/v3/jobs").rpc).toBe("JobsService.IngestJobs");
    expect(resolve("GET", "/v3/jobs/aggs")).toEqual({ rpc: undefined, params: {}, allowed: ["POST"] });
  });

  it("records: parent spans three segments, literal `-` segments, trailing slash", () => {
    const r = resolve("GET", "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary");
    expect(r).toMatchObject({ rpc: "RecordsService.GetRecordListSummary", params: { parent: "-/results/-" } });
    expect(resolve("GET", "/apis/results.tekton.dev/v1alpha2/parents/ns-1/results/r1/records/summary/").params).toEqual(
      { parent: "ns-1/results/r1" },
    );
    expect(resolve("POST", "/apis/results.tekton.dev/v1alpha2/parents/ns/results/r/records").rpc).toBe(
      "RecordsService.CreateRecord",
    );
    expect(resolve("POST", "/apis/results.tekton.dev/v1alpha2/parents/ns/results/r/records:batchCreate").rpc).toBe(
      "RecordsService.IngestRecords",
    );
    expect(resolve("GET", "/apis/results.tekton.dev/v1alpha2/parents/ns/records/summary").rpc).toBeUndefined();
  });

  it("metrics, with and without trailing slashes", () => {
    expect(resolve("GET", "/v6/metrics/").rpc).toBe("MetricsService.ListMetricsTypes");
    expect(resolve("GET", "/v6/metrics").rpc).toBe("MetricsService.ListMetricsTypes");
    expect(resolve("GET", "/v6/metrics/job-types/")).toMatchObject({
      rpc: "MetricsService.GetMetricsType",
      params: { name: "job-types" },
    });
    expect(resolve("GET", "/v6/metrics/job-types/plot-data/")).toMatchObject({
      rpc: "MetricsService.GetPlotData",
      params: { name: "job-types" },
    });
  });

  it("delivery stats: one path, two methods", () => {
    expect(resolve("GET", "/api/4.0/deliveryservice_stats").rpc).toBe("DeliveryStatsService.GetDeliveryServiceStats");
    expect(resolve("POST", "/api/4.0/deliveryservice_stats").rpc).toBe(
      "DeliveryStatsService.IngestDeliveryServiceStats",
    );
    expect(resolve("DELETE", "/api/4.0/deliveryservice_stats").allowed.sort()).toEqual(["GET", "POST"]);
  });

  it("telemetry: aggregates vs dates vs channels", () => {
    expect(resolve("GET", "/aggregates_by/build_id/channels/")).toMatchObject({
      rpc: "TelemetryService.ListChannels",
      params: { prefix: "build_id" },
    });
    expect(resolve("GET", "/aggregates_by/submission_date/channels/nightly/dates/")).toMatchObject({
      rpc: "TelemetryService.ListDates",
      params: { prefix: "submission_date", channel: "nightly" },
    });
    expect(resolve("GET", "/aggregates_by/build_id/channels/nightly/")).toMatchObject({
      rpc: "TelemetryService.GetAggregates",
      params: { channel: "nightly" },
    });
    expect(resolve("GET", "/filters/").rpc).toBe("TelemetryService.GetFilters");
  });

  it("admin custom verbs", () => {
    expect(resolve("POST", "/admin/v1/tenants/t-1:setActive")).toMatchObject({
      rpc: "AdminService.SetTenantActive",
      params: { id: "t-1" },
    });
    expect(resolve("POST", "/admin/v1/clients/c-1:rotateSecret").rpc).toBe("AdminService.RotateClientSecret");
  });
});

import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { GetDeliveryServiceStatsRequestSchema } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { GetPlotDataRequestSchema } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { GetRecordListSummaryRequestSchema } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import { GetAggregatesRequestSchema } from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import { AggregateJobsRequestSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { BindError, bindParams } from "./query-binder.js";

function bind(schema: Parameters<typeof bindParams>[0], path: Record<string, string>, query: string) {
  const json: JsonObject = {};
  const r = bindParams(schema, json, new Map(Object.entries(path)), new URLSearchParams(query));
  return { json, unknown: r.unknownKeys };
}

describe("query binding", () => {
  it("records: snake_case and camelCase names, unknown keys reported", () => {
    const { json, unknown } = bind(
      GetRecordListSummaryRequestSchema,
      { parent: "-/results/-" },
      "summary=total,failed&groupBy=pipeline&order_by=ASC%20total&page_size=30&x=1",
    );
    const msg = fromJson(GetRecordListSummaryRequestSchema, json);
    expect(msg).toMatchObject({
      parent: "-/results/-",
      summary: "total,failed",
      groupBy: "pipeline",
      orderBy: "ASC total",
      pageSize: 30,
    });
    expect(unknown).toEqual(["x"]);
  });

  it("metrics: repeated keys append; numbers coerced", () => {
    const { json } = bind(
      GetPlotDataRequestSchema,
      { name: "job-types" },
      "choice_id=1&choice_id=2&column=a&group=overview&page=2",
    );
    expect(fromJson(GetPlotDataRequestSchema, json)).toMatchObject({
      choiceId: [1, 2],
      column: ["a"],
      group: ["overview"],
      page: 2,
    });
  });

  it("a non-number for an int field is refused by the message parser", () => {
    const { json } = bind(GetPlotDataRequestSchema, { name: "x" }, "page=abc");
    expect(() => fromJson(GetPlotDataRequestSchema, json)).toThrow();
  });

  it("delivery stats: json names; first value of a repeated singular key wins", () => {
    const { json } = bind(
      GetDeliveryServiceStatsRequestSchema,
      {},
      "deliveryServiceName=demo1&deliveryServiceName=other&metricType=kbps&startDate=",
    );
    expect(fromJson(GetDeliveryServiceStatsRequestSchema, json)).toMatchObject({
      deliveryServiceName: "demo1",
      metricType: "kbps",
      startDate: "",
    });
  });

  it("telemetry: repeated filters and osVersion", () => {
    const { json } = bind(
      GetAggregatesRequestSchema,
      { prefix: "build_id", channel: "nightly" },
      "version=42&dates=20150615%2C20150616&metric=GC_MS&os=Windows_NT&os=Linux&osVersion=6.1",
    );
    expect(fromJson(GetAggregatesRequestSchema, json)).toMatchObject({
      dates: "20150615,20150616",
      os: ["Windows_NT", "Linux"],
      osVersion: ["6.1"],
    });
  });

  it("bool coercion and dotted paths into nested messages", () => {
    const { json } = bind(
      AggregateJobsRequestSchema,
      {},
      "includes_eu=false&start_time=2024-01-01T00:00:00Z&query.exists.field=job.name",
    );
    const msg = fromJson(AggregateJobsRequestSchema, json);
    expect(msg.includesEu).toBe(false);
    expect(msg.query?.exists?.field).toBe("job.name");
    expect(() => bind(AggregateJobsRequestSchema, {}, "includes_eu=maybe")).toThrow(BindError);
  });
});

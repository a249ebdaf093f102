import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordsService } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { grpcClient, loadProtos, unary } from "../helpers/grpc.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";
import { fixture, run } from "./fixture.js";

let s: TestServer;
let acme: Credentials;
let beta: Credentials;
const base = "/apis/results.tekton.dev/v1alpha2/parents";
const all =
  "total,succeeded,failed,cancelled,running,others,last_runtime,avg_duration,min_duration,max_duration,total_duration";

async function ingest(creds: Credentials, parent: string, records: unknown[], batchId = "") {
  const res = await restCall(s, creds, `${base}/${parent}/records:batchCreate`, {
    method: "POST",
    body: JSON.stringify({ batch_id: batchId, records }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { result: Record<string, unknown> };
}

async function summary(creds: Credentials, parent: string, query: string) {
  const res = await restCall(s, creds, `${base}/${parent}/records/summary?${query}`);
  return {
    status: res.status,
    body: (await res.json()) as { summary: Record<string, unknown>[] } & Record<string, unknown>,
  };
}

beforeAll(async () => {
  s = await startTestServer();
  acme = await createTenantWithClient(s, "acme", "root");
  beta = await createTenantWithClient(s, "beta", "root");
  await ingest(acme, "ci/results/main", fixture);
  await ingest(beta, "ci/results/main", [
    run({
      name: "b1",
      pipeline: "build",
      reason: "Failed",
      created: "2023-12-04T10:00:00Z",
      start: "2023-12-04T10:00:00Z",
      end: "2023-12-04T11:00:00Z",
    }),
  ]);
});
afterAll(async () => {
  await s?.stop();
});

describe("records summary: the document's examples", () => {
  it("every aggregation without group_by: one row, keys sorted, hand-computed values", async () => {
    const { status, body } = await summary(acme, "-/results/-", `summary=${all}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      summary: [
        {
          avg_duration: "05:00:15.3",
          cancelled: 1,
          failed: 1,
          last_runtime: 1704157200,
          max_duration: "25:00:00",
          min_duration: "00:00:01.5",
          others: 1,
          running: 1,
          succeeded: 2,
          total: 7,
          total_duration: "25:01:16.5",
        },
      ],
    });
    expect(Object.keys(body.summary[0]!)).toEqual(all.split(",").sort());
  });

  it("group_by=pipeline, with missing labels as `ns/`", async () => {
    const { body } = await summary(acme, "-/results/-", "summary=total,failed,avg_duration&group_by=pipeline");
    expect(body.summary).toEqual([
      { avg_duration: null, failed: 0, group_value: "ci/", total: 1 },
      { avg_duration: "12:30:30", failed: 1, group_value: "ci/build", total: 3 },
      { avg_duration: "00:00:05.5", failed: 0, group_value: "ci/deploy", total: 3 },
    ]);
  });
});

describe("records summary: every group_by form", () => {
  const groups = async (groupBy: string) =>
    (await summary(acme, "ci/results/main", `group_by=${encodeURIComponent(groupBy)}`)).body.summary.map((r) => [
      r.group_value,
      r.total,
    ]);

  it("time units on creationTimestamp, weeks from Monday, UTC", async () => {
    expect(await groups("week")).toEqual([
      [1701043200, 1],
      [1701648000, 4],
      [1704067200, 2],
    ]);
    expect(await groups("year")).toEqual([
      [1672531200, 5],
      [1704067200, 2],
    ]);
    expect(await groups("month")).toEqual([
      [1701388800, 5],
      [1704067200, 2],
    ]);
    expect(await groups("day")).toEqual([
      [1701561600, 1],
      [1701648000, 1],
      [1701734400, 1],
      [1701820800, 2],
      [1704153600, 2],
    ]);
    expect((await groups("hour")).filter(([g]) => g === 1701846000)).toEqual([[1701846000, 2]]);
    expect((await groups("minute")).filter(([g]) => (g as number) >= 1701849300 && (g as number) < 1701849420)).toEqual(
      [
        [1701849300, 1],
        [1701849360, 1],
      ],
    );
  });

  it("startTime and completionTime; a missing time is a null group", async () => {
    expect(await groups("day startTime")).toEqual([
      [null, 1],
      [1701648000, 2],
      [1701734400, 1],
      [1701820800, 1],
      [1704153600, 2],
    ]);
    expect(await groups("month completionTime")).toEqual([
      [null, 2],
      [1701388800, 3],
      [1704067200, 2],
    ]);
  });

  it("namespace, pipeline, repository", async () => {
    expect(await groups("namespace")).toEqual([["ci", 7]]);
    expect(await groups("repository")).toEqual([
      ["ci/", 6],
      ["ci/org/app", 1],
    ]);
  });

  it("both order_by forms", async () => {
    // "ci/" has no durations: NULL sorts first descending and last ascending, as in upstream's Postgres.
    const a = await summary(
      acme,
      "-/results/-",
      "summary=total,max_duration&group_by=pipeline&order_by=max_duration%20DESC",
    );
    expect(a.body.summary.map((r) => r.group_value)).toEqual(["ci/", "ci/build", "ci/deploy"]);
    const asc = await summary(
      acme,
      "-/results/-",
      "summary=total,max_duration&group_by=pipeline&order_by=max_duration%20ASC",
    );
    expect(asc.body.summary.map((r) => r.group_value)).toEqual(["ci/deploy", "ci/build", "ci/"]);
    const b = await summary(acme, "-/results/-", "summary=total&group_by=pipeline&order_by=ASC%20total");
    expect(b.body.summary.map((r) => r.group_value)).toEqual(["ci/", "ci/build", "ci/deploy"]);
  });
});

describe("records summary: edges", () => {
  it("empty sets: one zero row without group_by, an empty list with it", async () => {
    expect((await summary(acme, "nothing-here/results/-", `summary=${all}`)).body).toEqual({
      summary: [
        {
          avg_duration: null,
          cancelled: 0,
          failed: 0,
          last_runtime: null,
          max_duration: null,
          min_duration: null,
          others: 0,
          running: 0,
          succeeded: 0,
          total: 0,
          total_duration: null,
        },
      ],
    });
    expect((await summary(acme, "nothing-here/results/-", "group_by=day")).body).toEqual({ summary: [] });
  });

  it("the console plugin's request: data_type and a timestamp comparison; page_size ignored; unknown params ignored", async () => {
    const filter =
      'data_type == "tekton.dev/v1.PipelineRun" && data.status.startTime > timestamp("2023-12-04T05:00:00Z")';
    const { status, body } = await summary(
      acme,
      "-/results/-",
      `summary=total,succeeded&page_size=30&foo=bar&filter=${encodeURIComponent(filter)}`,
    );
    expect(status).toBe(200);
    expect(body.summary).toEqual([{ succeeded: 2, total: 4 }]); // r1, r5, r6, r7
  });

  it("re-ingesting a record replaces it (idempotent by name)", async () => {
    const before = (await summary(acme, "ci/results/main", "")).body.summary[0]!.total;
    const res = await ingest(acme, "ci/results/main", [fixture[0]]);
    expect(res.result).toMatchObject({ inserted: 0, updated: 1, rejected: 0 });
    expect((await summary(acme, "ci/results/main", "")).body.summary[0]!.total).toBe(before);
  });

  it("a bad item is rejected by index and field; the good ones are stored", async () => {
    const bad = { name: "Bad Name!", data: { type: "tekton.dev/v1.PipelineRun", value: { metadata: {} } } };
    const res = await ingest(acme, "other/results/main", [run({ name: "ok1", created: "2023-12-04T00:00:00Z" }), bad]);
    expect(res.result).toMatchObject({ inserted: 1, rejected: 1, rejections: [{ index: 1, field: "name" }] });
    expect((await summary(acme, "other/results/-", "")).body.summary).toEqual([{ total: 1 }]);
  });
});

describe("records summary: bad input", () => {
  const cases: [string, string, string][] = [
    ["bad parent", "NS/results/-", "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)"],
    ["bad group_by", "-/results/-?group_by=fortnight", "group_by does not recognize fortnight"],
    [
      "order_by field not summarised",
      "-/results/-?group_by=day&order_by=ASC%20failed",
      "field name failed is not allowed, must be one of summary",
    ],
    ["order_by gibberish", "-/results/-?group_by=day&order_by=sideways", "order_by does not recognize sideways"],
    ["unknown summary", "-/results/-?summary=total,p99", "invalid aggregate query: p99"],
    ["bad filter", `-/results/-?filter=${encodeURIComponent('$where == "1"')}`, "invalid filter at position 0"],
  ];

  it("REST: 400 with the gRPC-gateway body", async () => {
    for (const [name, path, message] of cases) {
      const [parent, q = ""] = path.split("?");
      const res = await restCall(s, acme, `${base}/${parent}/records/summary?${q}`);
      expect(res.status, name).toBe(400);
      const body = (await res.json()) as { code: number; message: string; details: unknown[] };
      expect(body.code, name).toBe(3);
      expect(body.message, name).toContain(message);
      expect(body.details).toEqual([]);
    }
  });

  it("Connect and gRPC: InvalidArgument with the same messages", async () => {
    const client = createClient(RecordsService, createConnectTransport({ baseUrl: s.url, httpVersion: "2" }));
    const headers = { authorization: `Bearer ${await s.token(acme)}` };
    const err = await client
      .getRecordListSummary({ parent: "-/results/-", groupBy: "fortnight" }, { headers })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument, rawMessage: "group_by does not recognize fortnight" });
    const pkg = loadProtos(["tally/records/v1/records.proto"]);
    const md = new grpc.Metadata();
    md.set("authorization", headers.authorization);
    await expect(
      unary(grpcClient(pkg, "tally.records.v1.RecordsService", s.url), "getRecordListSummary", { parent: "x" }, md),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)",
    });
  });
});

describe("records summary: tenancy", () => {
  it("another tenant's namespaces never appear; the parent tenant reads both children", async () => {
    const a = await summary(acme, "-/results/-", "summary=total,failed&group_by=namespace");
    const b = await summary(beta, "-/results/-", "summary=total,failed&group_by=namespace");
    expect(b.body.summary).toEqual([{ failed: 1, group_value: "ci", total: 1 }]);
    expect(a.body.summary.find((r) => r.group_value === "ci")).toEqual({ failed: 1, group_value: "ci", total: 7 });
    const root = await summary(s.admin, "ci/results/-", "summary=total");
    expect(root.body.summary).toEqual([{ total: 8 }]);
  });

  it("tenant hints in headers or query change nothing", async () => {
    const res = await restCall(s, beta, `${base}/-/results/-/records/summary?summary=total&tenant=acme&tenantId=acme`, {
      headers: { "x-tenant-id": "acme", tenant: "acme" },
    });
    expect(await res.json()).toEqual({ summary: [{ total: 1 }] });
  });
});

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { AdminService } from "@tally/sdk/gen/tally/admin/v1/admin_pb.js";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { grpcClient, loadProtos, unary } from "../helpers/grpc.js";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const bearer = async () => ({ authorization: `Bearer ${await s.token(s.admin)}` });

describe("one port, every protocol", () => {
  it("Connect over HTTP/1.1 and HTTP/2 (h2c)", async () => {
    for (const httpVersion of ["1.1", "2"] as const) {
      const client = createClient(AdminService, createConnectTransport({ baseUrl: s.url, httpVersion }));
      const res = await client.listTenants({}, { headers: await bearer() });
      expect(res.tenants.map((t) => t.id)).toEqual(["root"]);
    }
  });

  it("gRPC (h2c, from connect-node) and gRPC-Web over HTTP/1.1", async () => {
    const grpcClientC = createClient(AdminService, createGrpcTransport({ baseUrl: s.url }));
    expect((await grpcClientC.listTenants({}, { headers: await bearer() })).tenants).toHaveLength(1);
    const web = createClient(AdminService, createGrpcWebTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    expect((await web.listTenants({}, { headers: await bearer() })).tenants).toHaveLength(1);
  });

  it("grpc-js with proto-loader: health Check, reflection list, and one RPC per service", async () => {
    const pkg = loadProtos([
      "grpc/health/v1/health.proto",
      "grpc/reflection/v1/reflection.proto",
      "tally/jobs/v1/jobs.proto",
      "tally/records/v1/records.proto",
      "tally/metrics/v1/metrics.proto",
      "tally/deliverystats/v1/delivery_stats.proto",
      "tally/telemetry/v1/telemetry.proto",
      "tally/admin/v1/admin.proto",
    ]);
    const health = grpcClient(pkg, "grpc.health.v1.Health", s.url);
    expect(await unary<{ status: string }>(health, "check", { service: "" })).toEqual({ status: "SERVING" });
    await expect(unary(health, "check", { service: "no.such.Service" })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });

    const refl = grpcClient(pkg, "grpc.reflection.v1.ServerReflection", s.url);
    const names = await new Promise<string[]>((resolve, reject) => {
      const call = (
        refl as unknown as {
          serverReflectionInfo(): grpc.ClientDuplexStream<
            unknown,
            { listServicesResponse?: { service: { name: string }[] } }
          >;
        }
      ).serverReflectionInfo();
      call.on("data", (r) => {
        resolve(r.listServicesResponse!.service.map((x: { name: string }) => x.name));
        call.end();
      });
      call.on("error", reject);
      call.write({ listServices: "" });
    });
    expect(names).toEqual(
      expect.arrayContaining([
        "tally.jobs.v1.JobsService",
        "tally.records.v1.RecordsService",
        "tally.metrics.v1.MetricsService",
        "tally.deliverystats.v1.DeliveryStatsService",
        "tally.telemetry.v1.TelemetryService",
        "tally.admin.v1.AdminService",
        "grpc.health.v1.Health",
      ]),
    );

    // Every service is routed: without a token each read answers UNAUTHENTICATED (never UNIMPLEMENTED-by-absence).
    const calls: [string, string, unknown][] = [
      ["tally.jobs.v1.JobsService", "aggregateJobs", {}],
      ["tally.records.v1.RecordsService", "getRecordListSummary", { parent: "-/results/-" }],
      ["tally.metrics.v1.MetricsService", "listMetricsTypes", {}],
      ["tally.deliverystats.v1.DeliveryStatsService", "getDeliveryServiceStats", {}],
      ["tally.telemetry.v1.TelemetryService", "listChannels", { prefix: "build_id" }],
      ["tally.admin.v1.AdminService", "listTenants", {}],
    ];
    for (const [svc, method, req] of calls) {
      await expect(unary(grpcClient(pkg, svc, s.url), method, req), `${svc}.${method}`).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    }
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${await s.token(s.admin)}`);
    const tenants = await unary<{ tenants: { id: string }[] }>(
      grpcClient(pkg, "tally.admin.v1.AdminService", s.url),
      "listTenants",
      {},
      md,
    );
    expect(tenants.tenants.map((t) => t.id)).toEqual(["root"]);
  });

  it("buf curl reaches health and a service through reflection", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--http2-prior-knowledge",
      "--protocol",
      "grpc",
      "--data",
      "{}",
      `${s.url}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
    const listed = await run("npx", ["buf", "curl", "--http2-prior-knowledge", "--list-methods", s.url]);
    expect(listed.stdout).toContain("tally.records.v1.RecordsService/GetRecordListSummary");
  });

  it("REST through fetch, with the default error body", async () => {
    const ok = await restCall(s, s.admin, "/admin/v1/tenants");
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ tenants: [{ id: "root", name: "Root" }] });
    const none = await fetch(`${s.url}/admin/v1/tenants`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      code: 16,
      message: "unauthenticated: a valid bearer token is required",
      details: [],
    });
    const missing = await restCall(s, s.admin, "/no/such/route");
    expect(missing.status).toBe(404);
    const wrongMethod = await restCall(s, s.admin, "/admin/v1/tenants", { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
  });

  it("health Watch streams the current status, and NOT_SERVING on shutdown", async () => {
    const other = await startTestServer();
    const client = createClient(Health, createGrpcTransport({ baseUrl: other.url }));
    const seen: HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      try {
        for await (const r of client.watch({ service: "" })) {
          seen.push(r.status);
          if (seen.length === 1) void other.stop();
        }
      } catch (e) {
        // The stream ends when the server goes away; both outcomes are fine after NOT_SERVING arrives.
        if (!(e instanceof ConnectError)) throw e;
      }
    })();
    await watching;
    expect(seen[0]).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(seen).toContain(HealthCheckResponse_ServingStatus.NOT_SERVING);
  });

  it("a REST call and the same RPC produce the same log line with the same principal fields", async () => {
    const before = s.logs.length;
    await restCall(s, s.admin, "/admin/v1/tenants");
    const client = createClient(AdminService, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    await client.listTenants({}, { headers: await bearer() });
    const lines = s.logs.slice(before).filter((l) => l.msg === "call");
    expect(lines).toHaveLength(2);
    const strip = ({ requestId: _r, durationMs: _d, time: _t, protocol: _p, ...rest }: Record<string, unknown>) => rest;
    expect(strip(lines[0]!)).toEqual(strip(lines[1]!));
    expect(lines[0]).toMatchObject({
      protocol: "rest",
      procedure: "/tally.admin.v1.AdminService/ListTenants",
      clientId: "c-admin",
      tenantId: "root",
      code: "ok",
    });
    expect(lines[1]).toMatchObject({ protocol: "connect" });
  });

  it("a service answers once authenticated, and refuses the same call without a token", async () => {
    const jobs = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    const res = await jobs.aggregateJobs({}, { headers: await bearer() });
    expect(res.data?.total).toBe(0n);
    const err = await jobs.aggregateJobs({}).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Unauthenticated);
  });
});

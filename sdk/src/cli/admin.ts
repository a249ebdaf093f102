import { readFileSync } from "node:fs";
import { toJson, type DescMethod, type JsonValue, type Message } from "@bufbuild/protobuf";
import { AdminService } from "../gen/tally/admin/v1/admin_pb.js";
import { MetricsService } from "../gen/tally/metrics/v1/metrics_pb.js";
import { TelemetryService } from "../gen/tally/telemetry/v1/telemetry_pb.js";
import { type Args, UsageError, client, flag } from "./args.js";
import { call, findMethod } from "./rpc.js";

/** Registering what each API's data refers to, so a new tenant's ingests are accepted. */
export async function register(a: Args, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<void> {
  const [, what, ...rest] = a.positional;
  const c = client(a, env);
  const readItems = (file: string | undefined): JsonValue[] => {
    if (!file) throw new UsageError(`usage: tally register ${what} FILE.ndjson`);
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l, i) => {
        try {
          return JSON.parse(l) as JsonValue;
        } catch {
          throw new UsageError(`${file}:${i + 1}: not valid JSON`);
        }
      });
  };
  switch (what) {
    case "delivery-service": {
      const xmlId = rest[0];
      if (!xmlId) throw new UsageError("usage: tally register delivery-service XML_ID [--id N] [--tenant T]");
      const res = await c.deliveryStats.registerDeliveryService({
        xmlId,
        id: BigInt(flag(a, "id") ?? 0),
        tenantId: flag(a, "tenant") ?? "",
      });
      out(JSON.stringify({ xmlId: res.xmlId, id: Number(res.id), tenantId: res.tenantId }));
      return;
    }
    case "metric-choices": {
      // Choices travel with metric rows; a batch with choices and no rows registers just them.
      const type = flag(a, "type") ?? "job-types";
      const method = findMethod(MetricsService, "IngestMetricRows");
      const res = await call(c, "metrics", method, { name: type, choices: readItems(rest[0]), rows: [] });
      out(JSON.stringify((res as { result: JsonValue }).result));
      return;
    }
    case "telemetry-metrics": {
      const method = findMethod(TelemetryService, "PutMetricDefinitions");
      const res = await call(c, "telemetry", method, { metrics: readItems(rest[0]) });
      out(JSON.stringify((res as { result: JsonValue }).result));
      return;
    }
    default:
      throw new UsageError(
        "usage: tally register delivery-service XML_ID | metric-choices FILE.ndjson [--type T] | telemetry-metrics FILE.ndjson",
      );
  }
}

/** `tally admin`: tenants, clients and the signing key. */
export async function admin(a: Args, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<void> {
  const [, what, verb, ...rest] = a.positional;
  const c = client(a, env).admin;
  const print = (m: unknown, schema: DescMethod["output"]) => out(JSON.stringify(toJson(schema, m as Message)));
  const m = (name: string) => findMethod(AdminService, name);
  if (what === "rotate-signing-key") return print(await c.rotateSigningKey({}), m("RotateSigningKey").output);
  if (what === "tenants") {
    if (verb === "list") return print(await c.listTenants({}), m("ListTenants").output);
    if (verb === "create" && rest[0] && rest[1])
      return print(
        await c.createTenant({ id: rest[0], name: rest[1], parentId: flag(a, "parent") ?? "" }),
        m("CreateTenant").output,
      );
    if ((verb === "enable" || verb === "disable") && rest[0])
      return print(await c.setTenantActive({ id: rest[0], active: verb === "enable" }), m("SetTenantActive").output);
  }
  if (what === "clients") {
    if (verb === "list") return print(await c.listClients({}), m("ListClients").output);
    if (verb === "create" && flag(a, "tenant")) {
      const roles = (flag(a, "roles") ?? "reader").split(",").filter(Boolean);
      return print(await c.createClient({ tenantId: flag(a, "tenant")!, roles }), m("CreateClient").output);
    }
    if ((verb === "enable" || verb === "disable") && rest[0])
      return print(await c.setClientActive({ id: rest[0], active: verb === "enable" }), m("SetClientActive").output);
    if (verb === "rotate-secret" && rest[0])
      return print(await c.rotateClientSecret({ id: rest[0] }), m("RotateClientSecret").output);
  }
  throw new UsageError("usage: tally admin tenants|clients|rotate-signing-key ... (see tally --help)");
}

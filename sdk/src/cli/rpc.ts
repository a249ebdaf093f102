import { fromJson, toJson, type DescMethod, type DescService, type JsonValue, type Message } from "@bufbuild/protobuf";
import { AdminService } from "../gen/tally/admin/v1/admin_pb.js";
import { DeliveryStatsService } from "../gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { JobsService } from "../gen/tally/jobs/v1/jobs_pb.js";
import { MetricsService } from "../gen/tally/metrics/v1/metrics_pb.js";
import { RecordsService } from "../gen/tally/records/v1/records_pb.js";
import { TelemetryService } from "../gen/tally/telemetry/v1/telemetry_pb.js";
import type { TallyClient } from "../client.js";
import { UsageError } from "./args.js";

/** The APIs the CLI reaches, by the name used on its command line. */
export const services: Record<string, { service: DescService; key: keyof TallyClient }> = {
  jobs: { service: JobsService, key: "jobs" },
  records: { service: RecordsService, key: "records" },
  metrics: { service: MetricsService, key: "metrics" },
  "delivery-stats": { service: DeliveryStatsService, key: "deliveryStats" },
  telemetry: { service: TelemetryService, key: "telemetry" },
  admin: { service: AdminService, key: "admin" },
};

/** A service's method by any spelling of its name (`ingest-jobs`, `IngestJobs`, `ingestJobs`). */
export function findMethod(service: DescService, name: string): DescMethod {
  const norm = name.replace(/[-_]/g, "").toLowerCase();
  const m = service.methods.find(
    (x) => x.name.toLowerCase() === norm || x.localName.toLowerCase() === norm || x.name.toLowerCase().endsWith(norm),
  );
  if (!m)
    throw new UsageError(
      `unknown method ${name}; ${service.name} has: ${service.methods.map((x) => x.localName).join(", ")}`,
    );
  return m;
}

/** Calls `method` with proto JSON in and out. */
export async function call(c: TallyClient, api: string, method: DescMethod, input: JsonValue): Promise<JsonValue> {
  const svc = services[api]!;
  const fn = (c[svc.key] as unknown as Record<string, (req: unknown) => Promise<unknown>>)[method.localName]!;
  const res = await fn(fromJson(method.input, input, { ignoreUnknownFields: false }));
  return toJson(method.output, res as Message, { alwaysEmitImplicit: true });
}

/** A readable rendering: one `path: value` line per leaf (arrays of objects as numbered rows). */
export function table(v: JsonValue, prefix = ""): string[] {
  if (v === null || typeof v !== "object") return [`${prefix || "value"}: ${JSON.stringify(v)}`];
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  if (entries.length === 0) return [`${prefix || "value"}: ${Array.isArray(v) ? "[]" : "{}"}`];
  return entries.flatMap(([k, x]) => table(x as JsonValue, prefix ? `${prefix}.${k}` : k));
}

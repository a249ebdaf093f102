import { AdminService } from "@tally/sdk/gen/tally/admin/v1/admin_pb.js";
import { DeliveryStatsService } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { MetricsService } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { RecordsService } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import { TelemetryService } from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";

/** Every permission a role can grant (also the OAuth2 scope names). */
export const allPermissions = [
  "JOBS:READ",
  "JOBS:WRITE",
  "RECORDS:READ",
  "RECORDS:WRITE",
  "METRICS:READ",
  "METRICS:WRITE",
  "STAT:READ",
  "DELIVERY-SERVICE:READ",
  "STATS:WRITE",
  "TELEMETRY:READ",
  "TELEMETRY:WRITE",
  "TENANT:ADMIN",
] as const;

/** One of {@link allPermissions}. */
export type Permission = (typeof allPermissions)[number];

/** Built-in roles. `admin` holds every permission; a role named like a permission holds just it. */
export const roles: Readonly<Record<string, readonly Permission[]>> = {
  admin: allPermissions,
  reader: ["JOBS:READ", "RECORDS:READ", "METRICS:READ", "STAT:READ", "DELIVERY-SERVICE:READ", "TELEMETRY:READ"],
  writer: ["JOBS:WRITE", "RECORDS:WRITE", "METRICS:WRITE", "STATS:WRITE", "TELEMETRY:WRITE"],
  ...Object.fromEntries(allPermissions.map((p) => [p, [p]])),
};

/** Permissions granted by a list of role names; unknown roles grant nothing. */
export function permissionsOfRoles(roleNames: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of roleNames) for (const p of roles[r] ?? []) out.add(p);
  return out;
}

/** Whether `name` is a built-in role. */
export function isRoleName(name: string): boolean {
  return Object.hasOwn(roles, name);
}

/**
 * The one table of what each RPC requires, keyed by `/<service>/<method>`. An RPC missing from it is
 * refused (deny by default); public methods (health, reflection) are listed with no permission.
 */
export const methodPermissions: ReadonlyMap<string, readonly Permission[]> = new Map<string, readonly Permission[]>([
  [path(JobsService.typeName, JobsService.method.aggregateJobs.name), ["JOBS:READ"]],
  [path(JobsService.typeName, JobsService.method.ingestJobs.name), ["JOBS:WRITE"]],
  [path(RecordsService.typeName, RecordsService.method.getRecordListSummary.name), ["RECORDS:READ"]],
  [path(RecordsService.typeName, RecordsService.method.createRecord.name), ["RECORDS:WRITE"]],
  [path(RecordsService.typeName, RecordsService.method.ingestRecords.name), ["RECORDS:WRITE"]],
  [path(MetricsService.typeName, MetricsService.method.listMetricsTypes.name), ["METRICS:READ"]],
  [path(MetricsService.typeName, MetricsService.method.getMetricsType.name), ["METRICS:READ"]],
  [path(MetricsService.typeName, MetricsService.method.getPlotData.name), ["METRICS:READ"]],
  [path(MetricsService.typeName, MetricsService.method.ingestMetricRows.name), ["METRICS:WRITE"]],
  [path(MetricsService.typeName, MetricsService.method.ingestMetricEvents.name), ["METRICS:WRITE"]],
  [
    path(DeliveryStatsService.typeName, DeliveryStatsService.method.getDeliveryServiceStats.name),
    ["STAT:READ", "DELIVERY-SERVICE:READ"],
  ],
  [path(DeliveryStatsService.typeName, DeliveryStatsService.method.ingestDeliveryServiceStats.name), ["STATS:WRITE"]],
  [path(DeliveryStatsService.typeName, DeliveryStatsService.method.registerDeliveryService.name), ["STATS:WRITE"]],
  [path(TelemetryService.typeName, TelemetryService.method.listChannels.name), ["TELEMETRY:READ"]],
  [path(TelemetryService.typeName, TelemetryService.method.listDates.name), ["TELEMETRY:READ"]],
  [path(TelemetryService.typeName, TelemetryService.method.getFilters.name), ["TELEMETRY:READ"]],
  [path(TelemetryService.typeName, TelemetryService.method.getAggregates.name), ["TELEMETRY:READ"]],
  [path(TelemetryService.typeName, TelemetryService.method.putMetricDefinitions.name), ["TELEMETRY:WRITE"]],
  [path(TelemetryService.typeName, TelemetryService.method.ingestHistograms.name), ["TELEMETRY:WRITE"]],
  ...AdminService.methods.map((m) => [path(AdminService.typeName, m.name), ["TENANT:ADMIN"]] as const),
]);

/** Services anyone may call without a token. */
export const publicServices: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

function path(service: string, method: string): string {
  return `/${service}/${method}`;
}

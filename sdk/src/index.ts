/**
 * @tally/sdk for Node.js. Browsers import `@tally/sdk/web.js` (same API over connect-web).
 * Generated messages and services are re-exported per package below and under `@tally/sdk/gen/...`.
 */
export { createTallyClient } from "./node.js";
export type { NodeTallyClientOptions } from "./node.js";
export type { TallyClient, TallyClientOptions, TallyAuth } from "./client.js";
export { clientCredentials, authInterceptor } from "./auth.js";
export type { TokenProvider, ClientCredentialsOptions } from "./auth.js";
export { retryInterceptor } from "./retry.js";
export type { RetryOptions } from "./retry.js";
export {
  isNotFound,
  isPermissionDenied,
  isUnauthenticated,
  isInvalidArgument,
  isUnavailable,
  fieldViolations,
} from "./errors.js";
export type { FieldViolation } from "./errors.js";
export { aggs, q, lastDays, type GapPolicy } from "./builders.js";
export * as jobs from "./gen/tally/jobs/v1/jobs_pb.js";
export * as records from "./gen/tally/records/v1/records_pb.js";
export * as metrics from "./gen/tally/metrics/v1/metrics_pb.js";
export * as deliveryStats from "./gen/tally/deliverystats/v1/delivery_stats_pb.js";
export * as telemetry from "./gen/tally/telemetry/v1/telemetry_pb.js";
export * as admin from "./gen/tally/admin/v1/admin_pb.js";
export * as common from "./gen/tally/common/v1/ingest_pb.js";

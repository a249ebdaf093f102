import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { DescService } from "@bufbuild/protobuf";
import type { ApiModule } from "./api-module.js";
import { deliveryStatsModule } from "./deliverystats/index.js";
import { metricsModule } from "./metrics/index.js";
import { recordsModule } from "./records/index.js";
import { telemetryModule } from "./telemetry/index.js";

/** A service whose issue has not landed yet: served, reflected and routed, answering Unimplemented. */
function pending(service: DescService): ApiModule {
  return { create: () => ({ service, register: (router) => void router.service(service, {}) }) };
}

/** Every API Tally serves, in one list. */
export const apiModules: readonly ApiModule[] = [
  pending(JobsService),
  recordsModule,
  metricsModule,
  deliveryStatsModule,
  telemetryModule,
];

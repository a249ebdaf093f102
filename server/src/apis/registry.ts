import type { ApiModule } from "./api-module.js";
import { deliveryStatsModule } from "./deliverystats/index.js";
import { jobsModule } from "./jobs/index.js";
import { metricsModule } from "./metrics/index.js";
import { recordsModule } from "./records/index.js";
import { telemetryModule } from "./telemetry/index.js";

/** Every API Tally serves, in one list. */
export const apiModules: readonly ApiModule[] = [
  jobsModule,
  recordsModule,
  metricsModule,
  deliveryStatsModule,
  telemetryModule,
];

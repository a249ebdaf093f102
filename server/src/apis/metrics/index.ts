import { MetricsService } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import type { ApiModule } from "../api-module.js";
import { metricsRest } from "./rest.js";
import { MetricsServiceImpl } from "./service.js";

/** Scale's v6 metrics API: catalogue, plot data, ingest of rows and events. */
export const metricsModule: ApiModule = {
  create: ({ scopes }) => {
    const impl = new MetricsServiceImpl(scopes);
    return {
      service: MetricsService,
      register: (router) => void router.service(MetricsService, impl),
      rest: metricsRest,
    };
  },
};

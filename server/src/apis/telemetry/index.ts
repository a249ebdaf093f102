import { TelemetryService } from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import type { ApiModule } from "../api-module.js";
import { telemetryRest } from "./rest.js";
import { TelemetryServiceImpl } from "./service.js";

/** Mozilla's telemetry aggregates API: channels, dates, filters, aggregates, ingest. */
export const telemetryModule: ApiModule = {
  create: ({ scopes }) => {
    const impl = new TelemetryServiceImpl(scopes);
    return {
      service: TelemetryService,
      register: (router) => void router.service(TelemetryService, impl),
      rest: telemetryRest,
    };
  },
};

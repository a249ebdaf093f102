import { DeliveryStatsService } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import type { ApiModule } from "../api-module.js";
import { deliveryStatsRest } from "./rest.js";
import { DeliveryStatsServiceImpl } from "./service.js";

/** Traffic Ops' delivery-service statistics: service, REST shape, registration. */
export const deliveryStatsModule: ApiModule = {
  create: ({ scopes, config }) => {
    const impl = new DeliveryStatsServiceImpl(scopes, config.MAX_SERIES_VALUES);
    return {
      service: DeliveryStatsService,
      register: (router) => void router.service(DeliveryStatsService, impl),
      rest: deliveryStatsRest,
    };
  },
};

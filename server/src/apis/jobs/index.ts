import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { ApiModule } from "../api-module.js";
import { jobsRest } from "./rest.js";
import { JobsServiceImpl } from "./service.js";

/** The jobs aggregations API: service (strategy from the database's traits), REST shape. */
export const jobsModule: ApiModule = {
  create: ({ scopes, config, traits }) => {
    const strategy =
      config.JOBS_AGG_STRATEGY === "auto"
        ? traits.parallelAggregates
          ? "concurrent"
          : "facet"
        : config.JOBS_AGG_STRATEGY;
    const impl = new JobsServiceImpl(scopes, strategy, {
      maxTermsCount: config.JOBS_MAX_TERMS_COUNT,
      maxClauseCount: config.JOBS_MAX_CLAUSE_COUNT,
    });
    return { service: JobsService, register: (router) => void router.service(JobsService, impl), rest: jobsRest };
  },
};

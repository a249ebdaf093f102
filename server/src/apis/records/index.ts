import { RecordsService } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import type { ApiModule } from "../api-module.js";
import { recordsRest } from "./rest.js";
import { RecordsServiceImpl } from "./service.js";

/** Tekton Results' record summaries: service, REST shape, ingest. */
export const recordsModule: ApiModule = {
  create: ({ scopes }) => {
    const impl = new RecordsServiceImpl(scopes);
    return {
      service: RecordsService,
      register: (router) => void router.service(RecordsService, impl),
      rest: recordsRest,
    };
  },
};

import type { Client } from "@connectrpc/connect";
import { describe, expectTypeOf, it } from "vitest";
import { createTallyClient, aggs, q, type TallyClient, type NodeTallyClientOptions } from "./index.js";
import type { AggregateJobsResponse, Aggregation, JobsService } from "./gen/tally/jobs/v1/jobs_pb.js";
import type { RecordListSummary } from "./gen/tally/records/v1/records_pb.js";

describe("the public surface (type tests)", () => {
  it("createTallyClient returns typed service clients", () => {
    expectTypeOf(createTallyClient).parameter(0).toEqualTypeOf<NodeTallyClientOptions>();
    expectTypeOf(createTallyClient).returns.toEqualTypeOf<TallyClient>();
    expectTypeOf<TallyClient["jobs"]>().toEqualTypeOf<Client<typeof JobsService>>();
    expectTypeOf<ReturnType<TallyClient["jobs"]["aggregateJobs"]>>().toEqualTypeOf<Promise<AggregateJobsResponse>>();
    expectTypeOf<ReturnType<TallyClient["records"]["getRecordListSummary"]>>().toEqualTypeOf<
      Promise<RecordListSummary>
    >();
    expectTypeOf<keyof TallyClient>().toEqualTypeOf<
      "jobs" | "records" | "metrics" | "deliveryStats" | "telemetry" | "admin"
    >();
  });

  it("auth options are one of credentials, token or provider; the secret never sits beside a token", () => {
    expectTypeOf<{ baseUrl: string; clientId: string; clientSecret: string }>().toMatchTypeOf<NodeTallyClientOptions>();
    expectTypeOf<{ baseUrl: string; token: string }>().toMatchTypeOf<NodeTallyClientOptions>();
    expectTypeOf<{ baseUrl: string }>().not.toMatchTypeOf<NodeTallyClientOptions>();
  });

  it("builders produce the generated messages", () => {
    expectTypeOf(aggs.terms("job.state")).toEqualTypeOf<Aggregation>();
    expectTypeOf(
      aggs.filter(q.term("job.state", "FAILED"), { n: aggs.avg("job.duration_ms") }),
    ).toEqualTypeOf<Aggregation>();
  });
});

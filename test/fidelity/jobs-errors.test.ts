import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldViolations } from "@tally/sdk";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

describe("jobs errors over RPC name the request field, as records and delivery stats do", () => {
  it("Connect and gRPC carry a google.rpc.BadRequest detail", async () => {
    const headers = { authorization: `Bearer ${await s.token(s.admin)}` };
    for (const transport of [
      createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }),
      createGrpcTransport({ baseUrl: s.url }),
    ]) {
      const jobs = createClient(JobsService, transport);
      const aggErr = await jobs
        .aggregateJobs({ aggs: { t: { kind: { case: "terms", value: { field: "job.nope" } } } } }, { headers })
        .catch((e: unknown) => ConnectError.from(e));
      expect(fieldViolations(aggErr)).toEqual([{ field: "aggs", description: expect.stringMatching(/job\.nope/) }]);
      const qErr = await jobs
        .aggregateJobs({ query: { term: {} } }, { headers })
        .catch((e: unknown) => ConnectError.from(e));
      expect(fieldViolations(qErr)).toEqual([{ field: "query", description: "query malformed, empty clause found" }]);
    }
  });
});

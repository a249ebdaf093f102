import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { JobsService } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

describe("contracts carry no transport tricks", () => {
  it("an RPC caller cannot mark its own items rejected through pre_rejected; REST still reports undecodable items", async () => {
    const jobs = createClient(JobsService, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
    const headers = { authorization: `Bearer ${await s.token(s.admin)}` };
    const res = await jobs.ingestJobs(
      {
        jobs: [{ application: "a", timestamp: timestampFromDate(new Date()), job: { id: "rpc-1", state: "OK" } }],
        preRejected: [{ index: 0, field: "job", reason: "forged" }],
      },
      { headers },
    );
    expect(res.result).toMatchObject({ inserted: 1n, rejected: 0n });
    const rest = await restCall(s, s.admin, "/v3/jobs", {
      method: "POST",
      body: JSON.stringify([
        { application: "a", timestamp: "not a time", job: { id: "r-1", state: "OK" } },
        { application: "a", timestamp: new Date().toISOString(), job: { id: "r-2", state: "OK" } },
      ]),
    });
    const body = (await rest.json()) as {
      result: { inserted: number; rejected: number; rejections: { index: number; field: string }[] };
    };
    expect(body.result).toMatchObject({ inserted: 1, rejected: 1 });
    expect(body.result.rejections[0]).toMatchObject({ index: 0, field: "timestamp" });
  });
});

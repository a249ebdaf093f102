import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";
import { run } from "../records/fixture.js";

let s: TestServer;
const base = "/apis/results.tekton.dev/v1alpha2/parents/b64/results/r/records";

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

describe("records: upstream's base64 data.value", () => {
  it("is accepted in a batch as in a single create, and a bad one names its index", async () => {
    const asBase64 = (name: string) => {
      const r = run({ name, created: "2024-01-01T00:00:00Z", reason: "Succeeded" });
      return { ...r, data: { type: r.data.type, value: Buffer.from(JSON.stringify(r.data.value)).toString("base64") } };
    };
    const res = await restCall(s, s.admin, `${base}:batchCreate`, {
      method: "POST",
      body: JSON.stringify({ records: [asBase64("one"), run({ name: "two", created: "2024-01-01T00:00:00Z" })] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: Record<string, unknown> }).result).toMatchObject({
      inserted: 2,
      rejected: 0,
    });
    const bad = await restCall(s, s.admin, `${base}:batchCreate`, {
      method: "POST",
      body: JSON.stringify({
        records: [
          asBase64("three"),
          { name: "four", data: { type: "tekton.dev/v1.PipelineRun", value: "@@not base64 json@@" } },
        ],
      }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe("records[1].data.value: not base64-encoded JSON");
  });
});

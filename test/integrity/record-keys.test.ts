import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";
import { run } from "../records/fixture.js";

let s: TestServer;
const base = "/apis/results.tekton.dev/v1alpha2/parents/keys/results/r/records";

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

function withValue(extra: Record<string, unknown>) {
  const r = run({ name: "k1", created: "2024-01-01T00:00:00Z", reason: "Succeeded" }) as {
    data: { value: Record<string, unknown> };
  };
  return { ...r, data: { ...r.data, value: { ...r.data.value, ...extra } } };
}

describe("records: keys MongoDB can't store or would read as operators", () => {
  it("a NUL in a key or a leading '$' is a 400 naming the path, never a 500", async () => {
    for (const [extra, path] of [
      [{ spec: { "bad\u0000key": 1 } }, "data.value.spec.bad\\0key"],
      [{ spec: { params: [{ $where: "sleep(1000)" }] } }, "data.value.spec.params[0].$where"],
    ] as const) {
      const res = await restCall(s, s.admin, base, { method: "POST", body: JSON.stringify(withValue(extra)) });
      const body = (await res.json()) as { message: string };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.message).toContain(path);
    }
    const batch = await restCall(s, s.admin, `${base}:batchCreate`, {
      method: "POST",
      body: JSON.stringify({ records: [withValue({ spec: { $gt: 1 } }), withValue({})] }),
    });
    const result = (
      (await batch.json()) as { result: { rejected: string | number; rejections: { index: number; field: string }[] } }
    ).result;
    expect(Number(result.rejected)).toBe(1);
    expect(result.rejections[0]).toMatchObject({ index: 0, field: "data.value.spec.$gt" });
  });

  it("dotted keys (Kubernetes labels) are stored safely and come back exactly as sent", async () => {
    const labels = { "app.kubernetes.io/name": "web", "tekton.dev/pipeline": "build", "100%.sure": "yes" };
    const sent = withValue({ metadata: { name: "k2", creationTimestamp: "2024-01-01T00:00:00Z", labels } });
    const res = await restCall(s, s.admin, base, { method: "POST", body: JSON.stringify(sent) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { value: { metadata: { labels: Record<string, string> } } } };
    expect(body.data.value.metadata.labels).toEqual(labels);
    const stored = await s.tally.database.db.collection("records").findOne({ namespace: "keys", name: "k1" });
    expect(Object.keys(stored!.data.metadata.labels).every((k) => !k.includes("."))).toBe(true);
  });
});

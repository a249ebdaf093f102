import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const parent = "console/results/r";

beforeAll(async () => {
  s = await startTestServer();
  const rec = (name: string, value: { metadata?: object; [k: string]: unknown }) => ({
    name,
    data: { type: "tekton.dev/v1.PipelineRun", value: { ...value, metadata: { name, creationTimestamp: "2024-05-01T10:00:00Z", ...value.metadata } } },
  });
  const records = [
    rec("a", { metadata: { labels: { "pipelinesascode.tekton.dev/repository": "repo", "tekton.dev/pipeline": "build" } }, spec: { pipelineRef: { name: "build" } }, status: { conditions: [{ reason: "Succeeded" }] } }),
    rec("b", { metadata: { labels: { app: "web" } }, status: { conditions: [{ reason: "Failed" }] } }),
    rec("c", { metadata: {} }),
  ];
  const res = await restCall(s, s.admin, `/apis/results.tekton.dev/v1alpha2/parents/${parent}/records:batchCreate`, { method: "POST", body: JSON.stringify({ records }) });
  expect(((await res.json()) as { result: { inserted: number } }).result.inserted).toBe(3);
});
afterAll(async () => {
  await s?.stop();
});

async function total(filter: string): Promise<number> {
  const res = await restCall(s, s.admin, `/apis/results.tekton.dev/v1alpha2/parents/${parent}/records/summary?summary=total&filter=${encodeURIComponent(filter)}`);
  const body = (await res.json()) as { summary: { total: number }[]; message?: string };
  expect(res.status, body.message).toBe(200);
  return body.summary[0]!.total;
}

describe("Tekton CEL filters as the OpenShift Pipelines console sends them", () => {
  it("contains on a map tests its keys and values (upstream: a substring of its JSON)", async () => {
    expect(await total('data_type == "tekton.dev/v1.PipelineRun" && data.metadata.labels.contains("pipelinesascode.tekton.dev/repository")')).toBe(1);
    expect(await total('data.metadata.labels.contains("web")')).toBe(1);
    expect(await total('data.spec.pipelineRef.contains("name")')).toBe(1);
  });

  it("NULL semantics: a record without the field matches neither x != v nor !(x == v) nor !contains", async () => {
    expect(await total('data.status.conditions[0].reason != "Succeeded"')).toBe(1);
    expect(await total('!(data.status.conditions[0].reason == "Succeeded")')).toBe(1);
    expect(await total('data.status.conditions[0].reason == "Succeeded" || data.status.conditions[0].reason != "Succeeded"')).toBe(2);
    // c has no labels at all: neither contains nor !contains.
    expect(await total('!data.metadata.labels.contains("pipelinesascode.tekton.dev/repository")')).toBe(1);
  });
});

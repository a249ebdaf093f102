import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
const parent = "console/results/r";

beforeAll(async () => {
  s = await startTestServer();
  const rec = (name: string, value: { metadata?: object; [k: string]: unknown }) => ({
    name,
    data: {
      type: "tekton.dev/v1.PipelineRun",
      value: { ...value, metadata: { name, creationTimestamp: "2024-05-01T10:00:00Z", ...value.metadata } },
    },
  });
  const records = [
    rec("a", {
      metadata: { labels: { "pipelinesascode.tekton.dev/repository": "repo", "tekton.dev/pipeline": "build" } },
      spec: { pipelineRef: { name: "build" } },
      status: { conditions: [{ reason: "Succeeded" }] },
    }),
    rec("b", { metadata: { labels: { app: "web" } }, status: { conditions: [{ reason: "Failed" }] } }),
    rec("c", { metadata: {} }),
    rec("d", { spec: { retries: 3, timeoutSeconds: 90 }, status: { startTime: "2024-02-29T23:30:00Z" } }),
    rec("e", { spec: { retries: "3" } }),
  ];
  const res = await restCall(s, s.admin, `/apis/results.tekton.dev/v1alpha2/parents/${parent}/records:batchCreate`, {
    method: "POST",
    body: JSON.stringify({ records }),
  });
  expect(((await res.json()) as { result: { inserted: number } }).result.inserted).toBe(5);
});
afterAll(async () => {
  await s?.stop();
});

async function total(filter: string): Promise<number> {
  const res = await restCall(
    s,
    s.admin,
    `/apis/results.tekton.dev/v1alpha2/parents/${parent}/records/summary?summary=total&filter=${encodeURIComponent(filter)}`,
  );
  const body = (await res.json()) as { summary: { total: number }[]; message?: string };
  expect(res.status, body.message).toBe(200);
  return body.summary[0]!.total;
}

describe("Tekton CEL filters as the OpenShift Pipelines console sends them", () => {
  it("contains on a map tests its keys and values (upstream: a substring of its JSON)", async () => {
    expect(
      await total(
        'data_type == "tekton.dev/v1.PipelineRun" && data.metadata.labels.contains("pipelinesascode.tekton.dev/repository")',
      ),
    ).toBe(1);
    expect(await total('data.metadata.labels.contains("web")')).toBe(1);
    expect(await total('data.spec.pipelineRef.contains("name")')).toBe(1);
  });

  it("NULL semantics: a record without the field matches neither x != v nor !(x == v) nor !contains", async () => {
    expect(await total('data.status.conditions[0].reason != "Succeeded"')).toBe(1);
    expect(await total('!(data.status.conditions[0].reason == "Succeeded")')).toBe(1);
    expect(
      await total('data.status.conditions[0].reason == "Succeeded" || data.status.conditions[0].reason != "Succeeded"'),
    ).toBe(2);
    // c has no labels at all: neither contains nor !contains.
    expect(await total('!data.metadata.labels.contains("pipelinesascode.tekton.dev/repository")')).toBe(1);
  });
});

describe("CEL arithmetic and timestamp accessors, as cel2sql translates them", () => {
  it("+ - * / % on numbers; a missing or non-number operand is unknown, never an error", async () => {
    expect(await total("data.spec.retries + 1 == 4")).toBe(1);
    expect(await total("data.spec.timeoutSeconds / 60 > 1")).toBe(1);
    expect(await total("data.spec.retries % 2 == 1")).toBe(1);
    expect(await total("-data.spec.retries == -3")).toBe(1);
    // NULL semantics: only d has a numeric retries, so the others match neither side.
    expect(await total("data.spec.retries * 2 != 6")).toBe(0);
    expect(await total("!(data.spec.retries - 1 == 2)")).toBe(0);
    expect(await total("data.spec.retries * 2 == data.spec.retries + 3")).toBe(1);
  });

  it("+ joins strings, and user text stays a value even when it looks like a field path", async () => {
    expect(await total('data.metadata.name + "-run" == "a-run"')).toBe(1);
    expect(await total('data.metadata.name + "$name" == "a$name"')).toBe(1);
    expect(await total('"$data.metadata.name" == data.metadata.name + ""')).toBe(0);
  });

  it("getDate, getDayOfMonth, getDayOfWeek, getDayOfYear, getFullYear (UTC, or a zone)", async () => {
    expect(await total("data.status.startTime.getDate() == 29")).toBe(1);
    expect(await total("data.status.startTime.getDayOfMonth() == 28")).toBe(1);
    expect(await total("data.status.startTime.getDayOfWeek() == 4")).toBe(1);
    expect(await total("data.status.startTime.getDayOfYear() == 59")).toBe(1);
    expect(await total("data.status.startTime.getFullYear() >= 2024")).toBe(1);
    expect(await total('data.status.startTime.getDate("Asia/Tokyo") == 1')).toBe(1);
    expect(await total("data.status.startTime.getDate() != 29")).toBe(0);
  });

  it("refuses what has no meaning, with the documented error shape", async () => {
    for (const f of [
      "data.spec.retries / 0 == 1",
      'data.status.startTime.getDate("Mars/Base") == 1',
      "data.status.startTime + 1 == 2",
      'data.metadata.name.matches("(a+)+$")',
    ]) {
      const res = await restCall(
        s,
        s.admin,
        `/apis/results.tekton.dev/v1alpha2/parents/${parent}/records/summary?summary=total&filter=${encodeURIComponent(f)}`,
      );
      expect(res.status, f).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/invalid filter at position \d+/);
    }
  });
});

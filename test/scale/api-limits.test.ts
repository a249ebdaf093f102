// Every API's headline read at sizes that pass MongoDB's memory limits when those are lowered to
// 256 KB (the embedded engine reads TALLY_ENGINE_MEMORY_LIMIT_BYTES): none of them gathers one entry
// per document in an accumulator, so all answer exactly. On the real-MongoDB lane the limits are
// MongoDB's own 100 MB.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let t: Credentials;

async function post(path: string, body: unknown) {
  const res = await restCall(s, t, path, { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, any>;
}

beforeAll(async () => {
  process.env.TALLY_ENGINE_MEMORY_LIMIT_BYTES = String(256 * 1024);
  s = await startTestServer();
  t = await createTenantWithClient(s, "scale", "root");
});
afterAll(async () => {
  delete process.env.TALLY_ENGINE_MEMORY_LIMIT_BYTES;
  await s?.stop();
});

describe("every API's headline read holds under the limits", () => {
  it("jobs: terms over 20,000 keys and cardinality of 20,000 ids, exact; percentiles of 20,000 durations", async () => {
    const start = Date.parse("2024-01-01T00:00:00Z");
    for (let b = 0; b < 2; b++) {
      const jobs = Array.from({ length: 10_000 }, (_, k) => {
        const i = b * 10_000 + k;
        return {
          application: "scale",
          "@timestamp": new Date(start + i * 1000).toISOString(),
          job: {
            id: `job-${i}-with-a-long-identifier`,
            duration_ms: i,
            state: i % 10 === 0 ? "FAILED" : "OK",
            attributes: { host: `host-${i}` },
          },
        };
      });
      await post("/v3/jobs", jobs);
    }
    const body = await post("/v3/jobs/aggs", {
      application: "scale",
      aggs: {
        ids: { cardinality: { field: "job.id" } },
        hosts: { terms: { field: "job.attributes.host", size: 3 } },
        took: { percentiles: { field: "job.duration_ms", percents: [1, 50, 99] } },
        states: { terms: { field: "job.state" }, aggs: { distinct: { cardinality: { field: "job.id" } } } },
      },
    });
    const a = body.data.aggregations;
    expect(body.data.total).toBe(20_000);
    expect(a.ids.value).toBe(20_000);
    expect(a.hosts.buckets).toHaveLength(3);
    expect(a.hosts.sum_other_doc_count).toBe(19_997);
    // MongoDB's approximate $percentile is a t-digest: bounded memory, estimates within a fraction
    // of a percent of the true rank at this size (0..19,999: 1% is 199, 50% is 9,999, 99% is 19,799).
    const took = a.took.values as Record<string, number>;
    expect(Math.abs(took["1.0"]! - 199)).toBeLessThan(20);
    expect(Math.abs(took["50.0"]! - 9_999)).toBeLessThan(20);
    expect(Math.abs(took["99.0"]! - 19_799)).toBeLessThan(20);
    expect(a.states.buckets.map((x: any) => [x.key, x.doc_count, x.distinct.value])).toEqual([
      ["OK", 18_000, 18_000],
      ["FAILED", 2_000, 2_000],
    ]);
  });

  it("delivery stats: exact nearest-rank percentiles over 20,000 points", async () => {
    await post("/api/4.0/deliveryservices", { xmlId: "big" });
    const t0 = Date.parse("2024-01-01T00:00:00Z");
    // Values 1..20000 in a shuffled order.
    const values = Array.from({ length: 20_000 }, (_, i) => ((i * 7919) % 20_000) + 1);
    for (let b = 0; b < 2; b++) {
      const points = values.slice(b * 10_000, (b + 1) * 10_000).map((value, k) => ({
        deliveryService: "big",
        metricType: "tps_total",
        time: new Date(t0 + (b * 10_000 + k) * 60_000).toISOString(),
        value,
      }));

      await post("/api/4.0/deliveryservice_stats", { points });
    }
    const res = await restCall(
      s,
      t,
      `/api/4.0/deliveryservice_stats?deliveryServiceName=big&metricType=tps_total&interval=1d&startDate=2024-01-01T00:00:00Z&endDate=2024-02-01T00:00:00Z&excludeSeries=true`,
    );
    const summary = ((await res.json()) as any).response.summary;
    expect(summary).toMatchObject({
      count: 20_000,
      min: 1,
      max: 20_000,
      fifthPercentile: 1000,
      ninetyFifthPercentile: 19_000,
      ninetyEighthPercentile: 19_600,
    });
  });

  it("telemetry: 3,000 histograms of one metric summed per bucket", async () => {
    await post("/telemetry/v1/metrics", {
      metrics: [
        { name: "WIDE", kind: "linear", buckets: Array.from({ length: 50 }, (_, i) => i), description: "wide" },
      ],
    });
    const base = {
      prefix: "build_id",
      channel: "nightly",
      version: "42",
      application: "Firefox",
      architecture: "x86",
      os: "Linux",
      child: "false",
      label: "",
      date: "20240101",
      metric: "WIDE",
    };
    const histograms = Array.from({ length: 3000 }, (_, i) => ({
      ...base,
      osVersion: `v${i}`,
      histogram: Array.from({ length: 50 }, (_, j) => (j === i % 50 ? 2 : 1)),
      sum: 10,
      count: 1,
    }));

    await post("/telemetry/v1/histograms", { batch_id: "wide", histograms });
    const res = await restCall(s, t, "/aggregates_by/build_id/channels/nightly/?version=42&dates=20240101&metric=WIDE");
    expect(res.status).toBe(200);
    const [row] = ((await res.json()) as any).data;
    expect(row.count).toBe(3000);
    expect(row.sum).toBe(30_000);
    expect(row.histogram).toEqual(Array.from({ length: 50 }, () => 3000 + 60));
  });
});

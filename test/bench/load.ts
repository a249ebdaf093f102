import { createTenantWithClientInDirectory } from "./tenants.js";
import type { ApiBenchContext } from "./api.js";
import { percentile, type Figure } from "./stats.js";

/**
 * A bounded mixed load on loopback: reads and ingests of all five APIs from three tenants over
 * keep-alive HTTP/1.1, three consecutive runs of `seconds` each, reporting throughput, latency,
 * errors and heap before and after each run.
 */
export async function benchLoad(ctx: ApiBenchContext, seconds: number): Promise<Figure[]> {
  const tokens = await Promise.all(
    ["load-a", "load-b", "load-c"].map((t) => createTenantWithClientInDirectory(ctx, t)),
  );
  const now = Date.now();
  const requests: ((token: string, i: number) => Promise<Response>)[] = [
    (t) => fetch(`${ctx.tally.url}/v6/metrics/`, { headers: { authorization: `Bearer ${t}` } }),
    (t) =>
      fetch(
        `${ctx.tally.url}/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total,failed&group_by=namespace`,
        { headers: { authorization: `Bearer ${t}` } },
      ),
    (t) => fetch(`${ctx.tally.url}/aggregates_by/build_id/channels/`, { headers: { authorization: `Bearer ${t}` } }),
    (t) =>
      fetch(
        `${ctx.tally.url}/api/4.0/deliveryservice_stats?deliveryServiceName=nope&metricType=kbps&startDate=0&endDate=1`,
        { headers: { authorization: `Bearer ${t}` } },
      ),
    (t, i) =>
      fetch(`${ctx.tally.url}/v3/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: JSON.stringify([
          {
            application: "load",
            "@timestamp": new Date(now - (i % 1000) * 1000).toISOString(),
            job: { id: `l-${i % 500}`, state: "SUCCEEDED", duration_ms: i % 97 },
          },
        ]),
      }),
    (t) =>
      fetch(`${ctx.tally.url}/v3/jobs/aggs`, {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: JSON.stringify({ application: "load", aggs: { s: { terms: { field: "job.state" } } } }),
      }),
  ];
  const out: Figure[] = [];
  for (let runNo = 1; runNo <= 3; runNo++) {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const lat: number[] = [];
    let errors = 0;
    let i = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        while (performance.now() < deadline) {
          const n = i++;
          const t = performance.now();
          try {
            const res = await requests[n % requests.length]!(tokens[w % 3]!, n);
            await res.arrayBuffer();
            // The delivery-stats request asks for an unknown service on purpose: 404 is its right answer.
            if (res.status !== 200 && res.status !== 404) errors++;
          } catch {
            errors++;
          }
          lat.push(performance.now() - t);
        }
      }),
    );
    global.gc?.();
    const after = process.memoryUsage().heapUsed;
    out.push({
      section: "load",
      name: `mixed 5 APIs, 3 tenants, 16 workers, run ${runNo}`,
      size: `${seconds} s`,
      value: `${Math.round(lat.length / seconds)} req/s, p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(0)} ms, errors ${errors}`,
      note: `heap ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB`,
      target: "0 errors; no heap growth across runs",
    });
  }
  return out;
}

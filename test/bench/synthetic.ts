import type { Random } from "../../server/src/demo/random.js";

/**
 * The k-th synthetic telemetry dimension combination (4 applications × 2 architectures × 5 OSes, a
 * version per k) and a random histogram over `buckets`: the data of every telemetry bench.
 */
export function syntheticHistogram(k: number, r: Random, buckets: readonly number[]) {
  const dims = {
    label: "",
    application: `app${k % 4}`,
    architecture: `arch${k % 2}`,
    os: `os${k % 5}`,
    osVersion: `v${k}`,
    child: k % 2 ? "true" : "false",
  };
  const histogram = buckets.map(() => Math.floor(r.next() * 100));
  return { dims, histogram, count: histogram.reduce((a, b) => a + b, 0) };
}

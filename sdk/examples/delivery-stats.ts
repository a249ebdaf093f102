// CDN stats: the last hour of demo1's transactions per second, in 10-minute buckets.
import { createTallyClient } from "@tally/sdk";

export async function deliveryStatsExample(baseUrl: string, clientId: string, clientSecret: string): Promise<string[]> {
  const tally = createTallyClient({ baseUrl, clientId, clientSecret });
  const end = new Date();
  const res = await tally.deliveryStats.getDeliveryServiceStats({
    deliveryServiceName: "demo1",
    metricType: "tps_total",
    startDate: new Date(end.getTime() - 3_600_000).toISOString(),
    endDate: end.toISOString(),
    interval: "10m",
  });
  return [`points: ${res.summary?.count ?? 0n}`, `p95: ${res.summary?.ninetyFifthPercentile ?? 0}`, `buckets: ${res.series?.values.length ?? 0}`];
}

// Processing metrics: hourly job time across all job types over the last day.
import { createTallyClient } from "@tally/sdk";

export async function metricsExample(baseUrl: string, clientId: string, clientSecret: string): Promise<string[]> {
  const tally = createTallyClient({ baseUrl, clientId, clientSecret });
  const res = await tally.metrics.getPlotData({ name: "job-types", started: "P1D", column: ["job_time_avg"], group: ["overview"] });
  return res.results.map((r) => `${r.column?.name}: ${r.values.length} hourly values, max ${r.maxY ?? "-"}`);
}

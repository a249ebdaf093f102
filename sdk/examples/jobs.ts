// Job aggregations from TypeScript: the seed's "moderate example" with the typed builders.
import { aggs, createTallyClient, lastDays, q } from "@tally/sdk";

export async function jobsExample(baseUrl: string, clientId: string, clientSecret: string): Promise<string[]> {
  const tally = createTallyClient({ baseUrl, clientId, clientSecret });
  const res = await tally.jobs.aggregateJobs({
    application: "atr",
    appType: ["ec2", "kubernetes"],
    ...lastDays(90),
    includesEu: false,
    aggs: {
      jobs_by_state: aggs.terms("job.state", { size: 20 }),
      jobs_over_time: aggs.dateHistogram("@timestamp", { fixedInterval: "1d" }),
      failed_count: aggs.filter(q.term("job.state", "FAILED")),
    },
  });
  const lines = [`total jobs: ${res.data?.total ?? 0n}`];
  const states = res.data?.aggregations.jobs_by_state?.result;
  if (states?.case === "buckets") for (const b of states.value.buckets) lines.push(`${String(b.key?.kind.value)}: ${b.docCount}`);
  return lines;
}

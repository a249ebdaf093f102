// CI record summaries: failures per pipeline, most failures first.
import { createTallyClient } from "@tally/sdk";

export async function recordsExample(baseUrl: string, clientId: string, clientSecret: string): Promise<string[]> {
  const tally = createTallyClient({ baseUrl, clientId, clientSecret });
  const { summary } = await tally.records.getRecordListSummary({
    parent: "-/results/-",
    summary: "total,failed,avg_duration",
    groupBy: "pipeline",
    orderBy: "failed DESC",
    filter: 'data_type == PIPELINE_RUN',
  });
  return summary.map((row) => `${String(row.groupValue?.kind.value)}: ${row.failed}/${row.total} failed, avg ${row.avgDuration ?? "-"}`);
}

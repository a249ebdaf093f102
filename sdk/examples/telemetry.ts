// Telemetry: the channels, then GC_MS on the newest nightly build date.
import { createTallyClient } from "@tally/sdk";

export async function telemetryExample(baseUrl: string, clientId: string, clientSecret: string): Promise<string[]> {
  const tally = createTallyClient({ baseUrl, clientId, clientSecret });
  const { channels } = await tally.telemetry.listChannels({ prefix: "build_id" });
  const { dates } = await tally.telemetry.listDates({ prefix: "build_id", channel: "nightly" });
  const newest = dates[0]!;
  const agg = await tally.telemetry.getAggregates({ prefix: "build_id", channel: "nightly", version: newest.version, dates: newest.date, metric: "GC_MS" });
  return [`channels: ${channels.join(", ")}`, `${agg.kind} histogram, ${agg.data[0]?.count ?? 0n} samples on ${newest.date}`];
}

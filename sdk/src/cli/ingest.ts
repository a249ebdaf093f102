import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type DescMessage, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Args, UsageError, client, flag } from "./args.js";
import { Progress } from "./progress.js";
import { call, findMethod, services } from "./rpc.js";

/** What one `tally ingest` run did; rejections carry the file's line numbers. */
interface IngestTotals {
  inserted: number;
  updated: number;
  rejected: number;
  replayedBatches: number;
  rejections: { line: number; field: string; reason: string }[];
}

/**
 * The file's items with their line numbers. Lines that are not JSON, or not this API's item, are
 * reported by line and not sent; the good ones go to the server, which reports its own refusals per item.
 */
function readItems(text: string, itemSchema: DescMessage | undefined, rejections: IngestTotals["rejections"]) {
  const items: { line: number; value: JsonValue }[] = [];
  text.split("\n").forEach((l, i) => {
    if (l.trim() === "") return;
    let value: JsonValue;
    try {
      value = JSON.parse(l) as JsonValue;
    } catch {
      rejections.push({ line: i + 1, field: "", reason: "not valid JSON" });
      return;
    }
    if (itemSchema) {
      try {
        fromJson(itemSchema, value, { ignoreUnknownFields: false });
      } catch (e) {
        const reason = (e as Error).message.replace(/^cannot decode message [\w.]+ from JSON: /, "").slice(0, 200);
        rejections.push({ line: i + 1, field: "", reason });
        return;
      }
    }
    items.push({ line: i + 1, value });
  });
  return items;
}

/** `tally ingest <api> FILE.ndjson`: sends the file in batches; refused items on stderr by line. */
export async function ingest(
  a: Args,
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const [api, file] = a.positional.slice(1);
  if (!api || !file) throw new UsageError("usage: tally ingest <api> FILE.ndjson");
  const plan: Record<string, { method: string; field: string; extra: Record<string, JsonValue> }> = {
    jobs: { method: "IngestJobs", field: "jobs", extra: {} },
    records: { method: "IngestRecords", field: "records", extra: { parent: flag(a, "parent") ?? "" } },
    metrics: { method: "IngestMetricRows", field: "rows", extra: { name: flag(a, "type") ?? "job-types" } },
    "delivery-stats": { method: "IngestDeliveryServiceStats", field: "points", extra: {} },
    telemetry: { method: "IngestHistograms", field: "histograms", extra: {} },
  };
  const p = plan[api];
  if (!p) throw new UsageError(`cannot ingest into ${api}; one of ${Object.keys(plan).join(", ")}`);
  const text = readFileSync(file, "utf8");
  const size = Number(flag(a, "batch-size") ?? 1000);
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new UsageError("--batch-size must be 1 to 10000");
  const method = findMethod(services[api]!.service, p.method);
  const itemSchema = method.input.fields.find((f) => f.localName === p.field)?.message;
  const totals: IngestTotals = { inserted: 0, updated: 0, rejected: 0, replayedBatches: 0, rejections: [] };
  const items = readItems(text, itemSchema, totals.rejections);
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const c = client(a, env);
  const progress = new Progress(items.length, `ingest ${api}`);
  for (let i = 0; i < items.length; i += size) {
    const batch = items.slice(i, i + size);
    // A batch id from the file's content and position: re-running the same file changes nothing that
    // was stored, and stores what was refused before once its cause is fixed.
    const res = (await call(c, api, method, {
      ...p.extra,
      batchId: `${digest}-${i / size}`,
      [p.field]: batch.map((b) => b.value),
    })) as { result: Record<string, JsonValue> };
    if (res.result.replayed === true) totals.replayedBatches++;
    totals.inserted += Number(res.result.inserted ?? 0);
    totals.updated += Number(res.result.updated ?? 0);
    for (const r of (res.result.rejections as { index: number; field?: string; reason?: string }[] | undefined) ?? []) {
      totals.rejections.push({ line: batch[r.index]?.line ?? 0, field: r.field ?? "", reason: r.reason ?? "" });
    }
    progress.update(Math.min(items.length, i + size));
  }
  progress.finish();
  totals.rejections.sort((x, y) => x.line - y.line);
  totals.rejected = totals.rejections.length;
  for (const r of totals.rejections) err(`${file}:${r.line}: ${r.field ? `${r.field}: ` : ""}${r.reason}`);
  if (totals.replayedBatches)
    err(`${totals.replayedBatches} batch(es) had been stored before (replays: nothing changed)`);
  out(JSON.stringify(totals));
  return totals.rejected > 0 ? 1 : 0;
}

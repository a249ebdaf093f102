import { mkdirSync, writeFileSync } from "node:fs";
import { startEmbeddedMongo } from "../../server/src/embedded-mongo/index.js";
import { benchDeliveryStats, benchJobs, benchMetrics, benchRecords, benchTelemetry, startBenchServers } from "./api.js";
import { benchEmbedded } from "./embedded.js";
import { benchIsolation } from "./isolation.js";
import { benchLoad } from "./load.js";
import { benchPeers } from "./peers.js";
import { benchProtocols } from "./protocol.js";
import { benchScale } from "./scale.js";
import type { Figure } from "./stats.js";

/**
 * `npm run bench` (BENCH_SIZE=small keeps it under two minutes). Prints one table and writes
 * bench-results/bench.json. Every figure's comparison is measured in the same run.
 */
const small = process.env.BENCH_SIZE === "small";
/**
 * BENCH_ONLY=protocol,embedded,apis,load,isolation,peers runs only those sections (all when unset);
 * `scale` (100× the demo data, BENCH_SCALE to shrink it) runs only when named.
 */
const only = new Set(
  (process.env.BENCH_ONLY ?? "protocol,embedded,apis,load,isolation,peers").split(",").map((x) => x.trim()),
);
const figures: Figure[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);
const t0 = performance.now();

log(`bench: ${small ? "small" : "full"} run (${[...only].join(", ")})`);
if (only.has("protocol")) {
  // Protocol overhead first, on fresh servers with an empty database and a small heap.
  const fresh = await startEmbeddedMongo();
  // Protocol overhead, not admission: the tenant's read rate must not cap thousands of calls a second.
  const p = await startBenchServers(fresh.uri, { TENANT_READS_PER_SECOND: "1000000", TENANT_READ_BURST: "1000000" });
  figures.push(...(await benchProtocols(p.tally.url, p.token, small ? 200 : 2000)));
  await p.tally.stop();
  await p.facet.stop();
  await fresh.stop();
  log("bench: protocols done");
}
if (only.has("embedded")) {
  figures.push(...(await benchEmbedded(small ? [100_000] : [100_000, 1_000_000])));
  log("bench: embedded-db done");
}

if (only.has("scale")) {
  figures.push(...(await benchScale(Number(process.env.BENCH_SCALE ?? 1))));
  log("bench: scale done");
}

if (only.has("isolation")) {
  figures.push(...(await benchIsolation(small ? 100_000 : 1_000_000, small ? 200 : 500)));
  log("bench: isolation done");
}

const needsServers = ["apis", "load", "peers"].some((x) => only.has(x));
const db = needsServers ? await startEmbeddedMongo() : undefined;
const ctx = db ? await startBenchServers(db.uri) : undefined;
if (ctx && only.has("apis")) {
  for (const n of small ? [100_000] : [100_000, 1_000_000]) figures.push(...(await benchJobs(ctx, n)));
  log("bench: jobs done");
  for (const n of small ? [100_000] : [100_000, 1_000_000]) figures.push(...(await benchRecords(ctx, n)));
  log("bench: records done");
  figures.push(...(await benchMetrics(ctx)));
  figures.push(...(await benchDeliveryStats(ctx, small ? 100_000 : 1_000_000)));
  figures.push(...(await benchTelemetry(ctx)));
  log("bench: metrics, delivery stats, telemetry done");
}
if (ctx && only.has("load")) {
  figures.push(...(await benchLoad(ctx, small ? 3 : 60)));
  log("bench: load done");
}
if (only.has("peers") && process.env.CI)
  figures.push({ section: "peers", name: "PostgreSQL, InfluxDB", size: "", value: "skipped in CI" });
else if (ctx && only.has("peers")) {
  figures.push(...(await benchPeers(ctx, { records: small ? 20_000 : 1_000_000, points: small ? 20_000 : 1_000_000 })));
  log("bench: peers done");
}
await ctx?.tally.stop();
await ctx?.facet.stop();
await db?.stop();

const rows = figures.map((f) => [
  f.section,
  f.name,
  f.size,
  f.value,
  f.baseline ?? "",
  f.ratio === undefined ? "" : `${f.ratio}×`,
  f.target ?? "",
  f.note ?? "",
]);
const head = ["section", "figure", "data", "tally", "comparison", "ratio", "target", "note"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));
console.log(
  `\n${small ? "small" : "full"} run in ${((performance.now() - t0) / 1000).toFixed(0)} s on ${process.version}`,
);
mkdirSync("bench-results", { recursive: true });
writeFileSync(
  "bench-results/bench.json",
  JSON.stringify(
    { size: small ? "small" : "full", at: new Date().toISOString(), node: process.version, figures },
    null,
    2,
  ),
);
process.exit(0);

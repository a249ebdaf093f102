import type { Db } from "mongodb";
import { syntheticHistogram } from "./synthetic.js";
import { startEmbeddedMongoProcess } from "../../server/src/embedded-mongo/child.js";
import { demoJobs } from "../../server/src/demo/jobs.js";
import { demoRecords } from "../../server/src/demo/records.js";
import { dimsKey } from "../../server/src/apis/telemetry/dimensions.js";
import { Random } from "../../server/src/demo/random.js";
import { rest, startBenchServers, type ApiBenchContext } from "./api.js";
import { fmtMs, type Figure } from "./stats.js";

/**
 * [mongodb-at-scale]: every API's headline read at 100× the demo data (BENCH_SCALE=1: 11M
 * delivery-stats points with 10M in one service, 3M histograms; jobs at 3M, see below), loaded into the embedded database in
 * its own process with MongoDB's memory limits on (100 MB per blocking stage and per array
 * accumulator), answered through REST and checked against a single pass over the same documents,
 * with the database process's peak memory. BENCH_SCALE=0.1 runs a tenth of that.
 */
export async function benchScale(scale: number): Promise<Figure[]> {
  const db = await startEmbeddedMongoProcess({ maxHeapMb: 20_000 });
  // One read over 10M points takes longer than the default 60 s cap on a call: the bench raises it.
  const ctx = await startBenchServers(db.uri, { MAX_DEADLINE_MS: "600000", REQUEST_TIMEOUT_MS: "600000" });
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, db.memory()?.rss ?? 0)), 1000);
  const out: Figure[] = [];
  const n = (x: number) => Math.max(1000, Math.round(x * scale));
  const peakNow = () => `database peak RSS ${(peak / 2 ** 30).toFixed(1)} GiB`;
  // Each figure is printed as soon as it is measured: a long run that fails later keeps them.
  const withPeak = (f: Figure): Figure => {
    const g = { ...f, note: `${f.note ?? ""}; ${peakNow()}` };
    process.stderr.write(`scale: ${g.name} | ${g.size} | ${g.value} | ${g.baseline ?? ""} | ${g.note}\n`);
    return g;
  };
  // BENCH_SCALE_ONLY=delivery-stats,jobs,records,telemetry picks sections (all when unset).
  const only = new Set((process.env.BENCH_SCALE_ONLY ?? "delivery-stats,jobs,records,telemetry").split(","));
  try {
    if (only.has("delivery-stats")) {
      out.push(withPeak(await deliveryStats(ctx, n(10_000_000), n(1_000_000))));
      await drop(ctx.db, "ds_points");
    }
    // Jobs are the largest documents (about 1.5 KB each in the engine's heap): 10M of them need about
    // 15 GB, so run that section alone on a 24 GB machine (BENCH_SCALE_ONLY=jobs).
    if (only.has("jobs")) {
      out.push(withPeak(await jobs(ctx, n(10_000_000))));
      await drop(ctx.db, "jobs");
    }
    if (only.has("records")) {
      out.push(withPeak(await records(ctx, n(1_800_000))));
      await drop(ctx.db, "records");
    }
    if (only.has("telemetry")) out.push(withPeak(await telemetry(ctx, n(3_000_000))));
  } finally {
    clearInterval(sample);
    await ctx.tally.stop();
    await ctx.facet.stop();
    await db.stop();
  }
  return out;
}

/** Drops a section's collection (a deleteMany of millions runs as one unsliced command). */
async function drop(db: Db, coll: string): Promise<void> {
  await db.collection(coll).drop();
}

/** Inserts `count` documents made by `make(i)` in batches, two in flight. */
async function load(db: Db, coll: string, count: number, make: (i: number) => object): Promise<number> {
  const t = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, count - i) }, (_, k) => ({
      ...make(i + k),
      tenantId: "bench",
    }));
    inFlight.push(db.collection(coll).insertMany(batch, { ordered: false }));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return performance.now() - t;
}

/** A REST call and how long it took. */
async function timedRest(ctx: ApiBenchContext, path: string, body?: unknown): Promise<{ ms: number; json: any }> {
  const t = performance.now();
  const json = await rest(ctx, path, body);
  return { ms: performance.now() - t, json };
}

function check(ok: boolean, what: string): string {
  if (!ok) throw new Error(`scale: ${what} differs from the single pass`);
  return "answer equals the single pass";
}

/** One service's summary with exact nearest-rank percentiles over `big` points, next to `other` points of another. */
async function deliveryStats(ctx: ApiBenchContext, big: number, other: number): Promise<Figure> {
  await ctx.db.collection("delivery_services").insertMany([
    { xmlId: "scale1", id: 101, tenantId: "bench" },
    { xmlId: "scale2", id: 102, tenantId: "bench" },
  ]);
  const end = Date.UTC(2026, 0, 1);
  const r = new Random(21);
  const values = new Float64Array(big);
  let sum = 0;
  const loadMs = await load(ctx.db, "ds_points", big, (i) => {
    const value = Math.round(r.next() * 100_000) / 10;
    values[i] = value;
    sum += value;
    return { ds: "scale1", metric: "tps_total", time: new Date(end - i * 60_000), value };
  });
  await load(ctx.db, "ds_points", other, (i) => ({
    ds: "scale2",
    metric: "tps_total",
    time: new Date(end - i * 60_000),
    value: 1,
  }));
  const t = performance.now();
  values.sort();
  const pick = (p: number) => values[Math.floor((big * p) / 100 + 0.5) - 1]!;
  const expected = { count: big, p5: pick(5), p95: pick(95), p98: pick(98), average: sum / big };
  const loopMs = performance.now() - t;
  const { ms, json } = await timedRest(
    ctx,
    `/api/4.0/deliveryservice_stats?deliveryServiceName=scale1&metricType=tps_total&interval=1d&exclude=series&startDate=${new Date(end - big * 60_000).toISOString()}&endDate=${new Date(end).toISOString()}`,
  );
  const s = json.response.summary;
  const note = check(
    s.count === expected.count &&
      s.fifthPercentile === expected.p5 &&
      s.ninetyFifthPercentile === expected.p95 &&
      s.ninetyEighthPercentile === expected.p98 &&
      Math.abs(s.average - expected.average) < 1e-6 * expected.average,
    "delivery-stats summary",
  );
  return {
    section: "scale",
    name: "delivery-stats summary, exact percentiles",
    size: `${big.toLocaleString("en")} points of one service (+${other.toLocaleString("en")}), loaded in ${fmtMs(loadMs)}`,
    value: fmtMs(ms),
    baseline: fmtMs(loopMs),
    note,
  };
}

/** Terms on app_type and the cardinality of job ids over every job of one application. */
async function jobs(ctx: ApiBenchContext, n: number): Promise<Figure> {
  const now = new Date(Date.UTC(2026, 0, 1));
  const it = demoJobs(now, n, 90, 31);
  const byType = new Map<string, number>();
  let atr = 0;
  const loadMs = await load(ctx.db, "jobs", n, () => {
    const j = it.next().value!;
    if (j.application === "atr") {
      atr++;
      byType.set(j.app_type, (byType.get(j.app_type) ?? 0) + 1);
    }
    return j;
  });
  const { ms, json } = await timedRest(ctx, "/v3/jobs/aggs", {
    application: "atr",
    aggs: { types: { terms: { field: "app_type", size: 100 } }, ids: { cardinality: { field: "job.id" } } },
  });
  const a = json.data.aggregations;
  const got = new Map<string, number>(
    a.types.buckets.map((b: { key: string; doc_count: number }) => [b.key, b.doc_count]),
  );
  const note = check(
    json.data.total === atr &&
      a.ids.value === atr &&
      got.size === byType.size &&
      [...byType].every(([k, v]) => got.get(k) === v),
    "jobs terms/cardinality",
  );
  return {
    section: "scale",
    name: "jobs terms + cardinality of job ids",
    size: `${n.toLocaleString("en")} jobs (${atr.toLocaleString("en")} in the application), loaded in ${fmtMs(loadMs)}`,
    value: fmtMs(ms),
    note,
  };
}

/** The console's summary (total, succeeded, average duration) per namespace over `n` records. */
async function records(ctx: ApiBenchContext, n: number): Promise<Figure> {
  const it = demoRecords(new Date(Date.UTC(2026, 0, 1)), ["a", "b", "c"], Math.ceil(n / 240), 60, 41);
  const byNs = new Map<string, { total: number; succeeded: number }>();
  const loadMs = await load(ctx.db, "records", n, () => {
    const r = it.next().value!;
    const e = byNs.get(r.namespace) ?? { total: 0, succeeded: 0 };
    e.total++;
    if (r.reason === "Succeeded" || r.reason === "Completed") e.succeeded++;
    byNs.set(r.namespace, e);
    return r;
  });
  const { ms, json } = await timedRest(
    ctx,
    "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total,succeeded,avg_duration&group_by=namespace",
  );
  const rows = json.summary as { group_value: string; total: number; succeeded: number }[];
  const note = check(
    rows.length === byNs.size &&
      rows.every(
        (r) => byNs.get(r.group_value)?.total === r.total && byNs.get(r.group_value)?.succeeded === r.succeeded,
      ),
    "records summary",
  );
  return {
    section: "scale",
    name: "records summary per namespace",
    size: `${n.toLocaleString("en")} records, loaded in ${fmtMs(loadMs)}`,
    value: fmtMs(ms),
    note,
  };
}

/** One metric's aggregates over `n` histograms (one date, n dimension combinations). */
async function telemetry(ctx: ApiBenchContext, n: number): Promise<Figure> {
  const buckets = Array.from({ length: 20 }, (_, i) => i * 10);
  await ctx.db.collection("metric_definitions").insertOne({
    name: "SCALE_MS",
    kind: "linear",
    buckets,
    labels: [],
    description: "scale",
    keyed: false,
    tenantId: "bench",
  });
  const r = new Random(5);
  const total = new Array<number>(20).fill(0);
  let count = 0;
  const loadMs = await load(ctx.db, "histograms", n, (k) => {
    const synth = syntheticHistogram(k, r, buckets);
    const dims = synth.dims;
    const histogram = synth.histogram;
    const c = synth.count;
    for (const [i, v] of histogram.entries()) total[i]! += v;
    count += c;
    return {
      prefix: "build_id",
      channel: "nightly",
      version: "1",
      date: "20260101",
      metric: "SCALE_MS",
      ...dims,
      dimsKey: dimsKey(dims),
      histogram,
      sum: c * 3,
      count: c,
    };
  });
  const { ms, json } = await timedRest(
    ctx,
    "/aggregates_by/build_id/channels/nightly/?version=1&dates=20260101&metric=SCALE_MS",
  );
  const [row] = json.data;
  const note = check(
    row.count === count && row.histogram.every((v: number, i: number) => v === total[i]),
    "telemetry aggregates",
  );
  return {
    section: "scale",
    name: "telemetry aggregates, dimensions summed",
    size: `${n.toLocaleString("en")} histograms of one metric and date, loaded in ${fmtMs(loadMs)}`,
    value: fmtMs(ms),
    note,
  };
}

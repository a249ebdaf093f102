import type { Db } from "mongodb";
import { syntheticHistogram } from "./synthetic.js";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createClient, ensureTenant } from "../../server/src/auth/bootstrap.js";
import { loadConfig } from "../../server/src/platform/config.js";
import { createLogger } from "../../server/src/platform/logger.js";
import { startTally, type RunningTally } from "../../server/src/server.js";
import { demoJobs } from "../../server/src/demo/jobs.js";
import { demoRecords } from "../../server/src/demo/records.js";
import type { JobDoc } from "../../server/src/apis/jobs/job-doc.js";
import type { RecordDoc } from "../../server/src/apis/records/record-doc.js";
import { metricsType } from "../../server/src/apis/metrics/catalogue.js";
import { dimsKey } from "../../server/src/apis/telemetry/dimensions.js";
import { Random } from "../../server/src/demo/random.js";
import { fmtMs, medianMs, ratio, type Figure } from "./stats.js";

export interface ApiBenchContext {
  readonly tally: RunningTally;
  readonly facet: RunningTally;
  readonly db: Db;
  readonly token: string;
}

/** Two Tally servers (concurrent and $facet jobs strategies) over one shared embedded database. */
export async function startBenchServers(mongoUri: string, env: Record<string, string> = {}): Promise<ApiBenchContext> {
  // Tokens for a day: a full run takes about half an hour, longer than the default 15 minutes.
  const base = {
    PORT: "0",
    LOG_LEVEL: "silent",
    TALLY_DEMO: "off",
    MONGODB_URI: mongoUri,
    MONGODB_DB: "bench",
    TOKEN_TTL_SECONDS: "86400",
    TALLY_KEK: Buffer.alloc(32, 1).toString("base64"),
    ...env,
  };
  const tally = await startTally(loadConfig({ ...base, JOBS_AGG_STRATEGY: "concurrent" }), createLogger("silent"));
  const facet = await startTally(loadConfig({ ...base, JOBS_AGG_STRATEGY: "facet" }), createLogger("silent"));
  await ensureTenant(tally.app.directory, "bench", "Bench", "root");
  const creds: Credentials = await createClient(tally.app.directory, "bench", ["admin"]);
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
  });
  const token = (
    (await (await fetch(`${tally.url}/oauth2/token`, { method: "POST", body: form })).json()) as {
      access_token: string;
    }
  ).access_token;
  return { tally, facet, db: tally.database.db, token };
}

async function insert(db: Db, coll: string, docs: object[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 10_000)
    await db.collection(coll).insertMany(docs.slice(i, i + 10_000).map((d) => ({ ...d, tenantId: "bench" })));
}

/**
 * Runs and warm-ups of every figure here: a dashboard repeats its queries every few seconds, so the
 * figure is the steady state (V8 has compiled the query's generated loop), not the first call.
 */
const STEADY = [5, 2] as const;

/** A bench call through REST (GET, or POST with a JSON body); anything but 200 fails the bench. */
export const rest = async (ctx: ApiBenchContext, path: string, body?: unknown, server = ctx.tally) => {
  const res = await fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${ctx.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};

/** The seed's request through REST vs a single pass over the same jobs; concurrent aggregates vs $facet. */
export async function benchJobs(ctx: ApiBenchContext, n: number): Promise<Figure[]> {
  const now = new Date();
  const docs: JobDoc[] = [...demoJobs(now, n, 90, 97)];
  await ctx.db.collection("jobs").deleteMany({});
  await insert(ctx.db, "jobs", docs);
  const start = new Date(now.getTime() - 90 * 86_400_000);
  const body = {
    application: "atr",
    app_type: ["ec2", "kubernetes"],
    domain: ["your-domain-1.example.com", "your-domain-2.example.com"],
    start_time: start.toISOString(),
    end_time: now.toISOString(),
    includes_eu: false,
    aggs: {
      jobs_by_state: { terms: { field: "job.state", size: 20 } },
      jobs_over_time: { date_histogram: { field: "@timestamp", fixed_interval: "1d" } },
      failed_count: { filter: { term: { "job.state": "FAILED" } } },
    },
  };
  const types = new Set(body.app_type);
  const domains = new Set(body.domain);
  const loop = () => {
    const states = new Map<string, number>();
    const days = new Map<number, number>();
    let total = 0;
    let failed = 0;
    for (const d of docs) {
      const t = d.timestamp.getTime();
      if (
        d.application !== "atr" ||
        !types.has(d.app_type) ||
        !domains.has(d.domain) ||
        t < start.getTime() ||
        t > now.getTime() ||
        d.eu
      )
        continue;
      total++;
      states.set(d.job.state, (states.get(d.job.state) ?? 0) + 1);
      if (d.job.state === "FAILED") failed++;
      const day = t - (t % 86_400_000);
      days.set(day, (days.get(day) ?? 0) + 1);
    }
    return { total, states, failed, days };
  };
  const size = `${n.toLocaleString("en")} jobs`;
  const tallyMs = await medianMs(() => rest(ctx, "/v3/jobs/aggs", body), ...STEADY);
  const facetMs = await medianMs(() => rest(ctx, "/v3/jobs/aggs", body, ctx.facet), ...STEADY);
  const loopMs = await medianMs(loop, ...STEADY);
  const check = (await rest(ctx, "/v3/jobs/aggs", body, ctx.facet)) as { data: { total: number } };
  await ctx.db.collection("jobs").deleteMany({}); // free the memory before the next section
  // The headline is the default strategy on this database (`auto`: one $facet on the embedded engine).
  return [
    {
      section: "jobs",
      name: "seed request via REST ($facet, the default here)",
      size,
      value: fmtMs(facetMs),
      baseline: fmtMs(loopMs),
      ratio: ratio(facetMs, loopMs),
      note: `total ${check.data.total} = loop ${loop().total}`,
    },
    {
      section: "jobs",
      name: "seed request via REST (concurrent aggregates)",
      size,
      value: fmtMs(tallyMs),
      baseline: fmtMs(facetMs),
      ratio: ratio(tallyMs, facetMs),
      note: "vs $facet",
    },
  ];
}

/** Records summary by pipeline and by day vs a single pass. */
export async function benchRecords(ctx: ApiBenchContext, n: number): Promise<Figure[]> {
  const perDay = Math.ceil(n / (60 * 4));
  const docs: RecordDoc[] = [...demoRecords(new Date(), ["a", "b", "c"], perDay, 60, 5)].slice(0, n);
  await ctx.db.collection("records").deleteMany({});
  await insert(ctx.db, "records", docs);
  // The summary's every figure, as the pipeline computes them: the five reason counts, durations from
  // the microsecond fields when both are there (else the millisecond times), the last start time.
  const known = new Set(["Succeeded", "Completed", "Failed", "Cancelled", "Running"]);
  const loop = (key: (d: RecordDoc) => unknown) => () => {
    type Sums = {
      total: number;
      ok: number;
      failed: number;
      cancelled: number;
      running: number;
      others: number;
      durN: number;
      durSum: number;
      durMin: number;
      durMax: number;
      last: number;
    };
    const groups = new Map<unknown, Sums>();
    for (const d of docs) {
      const k = key(d);
      let g = groups.get(k);
      if (!g) {
        g = {
          total: 0,
          ok: 0,
          failed: 0,
          cancelled: 0,
          running: 0,
          others: 0,
          durN: 0,
          durSum: 0,
          durMin: Infinity,
          durMax: -Infinity,
          last: 0,
        };
        groups.set(k, g);
      }
      g.total++;
      const reason = d.reason;
      if (reason === "Succeeded" || reason === "Completed") g.ok++;
      else if (reason === "Failed") g.failed++;
      else if (reason === "Cancelled") g.cancelled++;
      else if (reason === "Running") g.running++;
      if (reason && !known.has(reason)) g.others++;
      const ms =
        typeof d.startUs === "number" && typeof d.completionUs === "number"
          ? (d.completionUs - d.startUs) / 1000
          : d.startTime && d.completionTime
            ? d.completionTime.getTime() - d.startTime.getTime()
            : null;
      if (ms !== null) {
        g.durN++;
        g.durSum += ms;
        g.durMin = Math.min(g.durMin, ms);
        g.durMax = Math.max(g.durMax, ms);
      }
      if (d.startTime) g.last = Math.max(g.last, d.startTime.getTime());
    }
    return groups;
  };
  const all =
    "total,succeeded,failed,cancelled,running,others,last_runtime,avg_duration,min_duration,max_duration,total_duration";
  const size = `${n.toLocaleString("en")} records`;
  const out: Figure[] = [];
  for (const [g, key] of [
    ["pipeline", (d: RecordDoc) => `${d.namespace}/${d.pipeline ?? ""}`],
    ["day", (d: RecordDoc) => (d.createTime ? d.createTime.getTime() - (d.createTime.getTime() % 86_400_000) : null)],
  ] as const) {
    const t = await medianMs(
      () =>
        rest(ctx, `/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=${all}&group_by=${g}`),
      ...STEADY,
    );
    const l = await medianMs(loop(key), ...STEADY);
    out.push({
      section: "records",
      name: `summary group_by=${g}`,
      size,
      value: fmtMs(t),
      baseline: fmtMs(l),
      ratio: ratio(t, l),
    });
  }
  await ctx.db.collection("records").deleteMany({});
  return out;
}

/** plot-data for every job-types column over 60 days × 50 job types, merged per hour. */
export async function benchMetrics(ctx: ApiBenchContext): Promise<Figure[]> {
  const def = metricsType("job-types")!;
  const r = new Random(3);
  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const rows: { type: string; choiceId: number; hour: Date; values: Record<string, number> }[] = [];
  for (let c = 1; c <= 50; c++)
    for (let h = 1; h <= 60 * 24; h++)
      rows.push({
        type: "job-types",
        choiceId: c,
        hour: new Date(end - h * 3_600_000),
        values: Object.fromEntries(def.columns.map((col) => [col.name, Math.round(r.next() * 100)])),
      });
  await ctx.db.collection("metric_rows").deleteMany({});
  await ctx.db.collection("metric_choices").deleteMany({});
  await insert(ctx.db, "metric_rows", rows);
  await insert(
    ctx.db,
    "metric_choices",
    Array.from({ length: 50 }, (_, i) => ({ type: "job-types", choiceId: i + 1, fields: { name: `jt-${i}` } })),
  );
  const started = new Date(end - 61 * 86_400_000).toISOString();
  const loop = () => {
    const byHour = new Map<number, Record<string, number[]>>();
    for (const row of rows) {
      const h = row.hour.getTime();
      let acc = byHour.get(h);
      if (!acc) byHour.set(h, (acc = {}));
      for (const col of def.columns) (acc[col.name] ??= []).push(row.values[col.name]!);
    }
    const agg = {
      sum: (x: number[]) => x.reduce((a, b) => a + b, 0),
      min: (x: number[]) => Math.min(...x),
      max: (x: number[]) => Math.max(...x),
      avg: (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length,
    };
    return [...byHour.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([h, acc]) => [h, def.columns.map((c) => agg[c.aggregate](acc[c.name]!))]);
  };
  const t = await medianMs(
    () => rest(ctx, `/v6/metrics/job-types/plot-data/?started=${started}&page_size=1000`),
    ...STEADY,
  );
  const l = await medianMs(loop, ...STEADY);
  return [
    {
      section: "metrics",
      name: "plot-data, all 31 columns",
      size: "60 days × 50 job types (72,000 rows)",
      value: fmtMs(t),
      baseline: fmtMs(l),
      ratio: ratio(t, l),
    },
  ];
}

/** Delivery stats: 14 days at 1m and 1h for one service (20k points), and the summary over 1M points. */
export async function benchDeliveryStats(ctx: ApiBenchContext, bigN: number): Promise<Figure[]> {
  await ctx.db.collection("delivery_services").deleteMany({});
  await ctx.db.collection("ds_points").deleteMany({});
  await insert(ctx.db, "delivery_services", [
    { xmlId: "bench1", id: 1 },
    { xmlId: "bench2", id: 2 },
  ]);
  const r = new Random(9);
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const mk = (ds: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ds,
      metric: "tps_total",
      time: new Date(end - i * 60_000),
      value: Math.round(r.next() * 1000) / 10,
    }));
  const small = mk("bench1", 14 * 1440);
  const big = mk("bench2", bigN);
  await insert(ctx.db, "ds_points", small);
  await insert(ctx.db, "ds_points", big);
  const q = (ds: string, startMs: number, interval: string, exclude = "") =>
    `/api/4.0/deliveryservice_stats?deliveryServiceName=${ds}&metricType=tps_total&startDate=${new Date(startMs).toISOString()}&endDate=${new Date(end).toISOString()}&interval=${interval}${exclude ? `&exclude=${exclude}` : ""}`;
  const loop = (points: typeof small, intervalMs: number, series: boolean) => () => {
    const values = points.map((p) => p.value).sort((a, b) => a - b);
    const n = values.length;
    const pick = (p: number) => values[Math.floor((n * p) / 100 + 0.5) - 1] ?? 0;
    const summary = { avg: values.reduce((a, b) => a + b, 0) / n, p5: pick(5), p95: pick(95), p98: pick(98) };
    if (!series) return summary;
    const buckets = new Map<number, [number, number]>();
    for (const p of points) {
      const b = p.time.getTime() - (p.time.getTime() % intervalMs);
      const s = buckets.get(b) ?? [0, 0];
      s[0] += p.value;
      s[1]++;
      buckets.set(b, s);
    }
    return { summary, series: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, [s, c]]) => [t, s / c]) };
  };
  const start14 = end - 14 * 86_400_000;
  const out: Figure[] = [];
  for (const interval of ["1m", "1h"]) {
    const t = await medianMs(() => rest(ctx, q("bench1", start14, interval)), ...STEADY);
    const l = await medianMs(loop(small, interval === "1m" ? 60_000 : 3_600_000, true), ...STEADY);
    out.push({
      section: "delivery-stats",
      name: `series+summary interval=${interval}`,
      size: "14 days, 20,160 points",
      value: fmtMs(t),
      baseline: fmtMs(l),
      ratio: ratio(t, l),
    });
  }
  const t = await medianMs(() => rest(ctx, q("bench2", end - bigN * 60_000, "1m", "series")), ...STEADY);
  const l = await medianMs(loop(big, 60_000, false), ...STEADY);
  out.push({
    section: "delivery-stats",
    name: "summary (exact percentiles)",
    size: `${bigN.toLocaleString("en")} points`,
    value: fmtMs(t),
    baseline: fmtMs(l),
    ratio: ratio(t, l),
  });
  return out;
}

/** Telemetry aggregates over 30 dates × 1,000 dimension combinations vs element-wise sums in a loop. */
export async function benchTelemetry(ctx: ApiBenchContext): Promise<Figure[]> {
  await ctx.db.collection("histograms").deleteMany({});
  await ctx.db.collection("metric_definitions").deleteMany({});
  const buckets = Array.from({ length: 20 }, (_, i) => i * 10);
  await insert(ctx.db, "metric_definitions", [
    { name: "BENCH_MS", kind: "linear", buckets, labels: [], description: "bench", keyed: false },
  ]);
  const r = new Random(4);
  const docs: { date: string; histogram: number[]; sum: number; count: number }[] = [];
  for (let d = 0; d < 30; d++) {
    const date = `202401${String(d + 1).padStart(2, "0")}`;
    for (let k = 0; k < 1000; k++) {
      const synth = syntheticHistogram(k, r, buckets);
      const dims = synth.dims;
      const histogram = synth.histogram;
      const count = synth.count;
      docs.push(
        Object.assign({
          prefix: "build_id",
          channel: "nightly",
          version: "1",
          date,
          metric: "BENCH_MS",
          ...dims,
          dimsKey: dimsKey(dims),
          histogram,
          sum: count * 3,
          count,
        }),
      );
    }
  }
  await insert(ctx.db, "histograms", docs);
  const dates = Array.from({ length: 30 }, (_, d) => `202401${String(d + 1).padStart(2, "0")}`).join(",");
  const loop = () => {
    const byDate = new Map<string, { h: number[]; sum: number; count: number }>();
    for (const d of docs) {
      let acc = byDate.get(d.date);
      if (!acc) byDate.set(d.date, (acc = { h: new Array<number>(20).fill(0), sum: 0, count: 0 }));
      for (let i = 0; i < 20; i++) acc.h[i]! += d.histogram[i]!;
      acc.sum += d.sum;
      acc.count += d.count;
    }
    return byDate;
  };
  const t = await medianMs(
    () => rest(ctx, `/aggregates_by/build_id/channels/nightly/?version=1&dates=${dates}&metric=BENCH_MS`),
    ...STEADY,
  );
  const l = await medianMs(loop, ...STEADY);
  return [
    {
      section: "telemetry",
      name: "aggregates, dimensions summed",
      size: "30 dates × 1,000 dimension combinations",
      value: fmtMs(t),
      baseline: fmtMs(l),
      ratio: ratio(t, l),
    },
  ];
}

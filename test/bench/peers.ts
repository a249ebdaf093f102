import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { syntheticHistogram } from "./synthetic.js";
import { chownSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { demoRecords } from "../../server/src/demo/records.js";
import { readableValue } from "../../server/src/apis/records/record-doc.js";
import { type Dimensions, dimsKey } from "../../server/src/apis/telemetry/dimensions.js";
import { Random } from "../../server/src/demo/random.js";
import type { ApiBenchContext } from "./api.js";

/** Both sides of every peer comparison get the same warm-up (JIT, caches) and the same number of runs. */
const PEER_RUNS = 7;
const PEER_WARMUPS = 5;
import { fmtMs, medianMs, ratio, type Figure } from "./stats.js";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const asRoot = process.getuid?.() === 0;

const rest = async (ctx: ApiBenchContext, path: string) => {
  const res = await fetch(`${ctx.tally.url}${path}`, { headers: { authorization: `Bearer ${ctx.token}` } });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
};

/** A throwaway PostgreSQL cluster on loopback (as the postgres user when run as root). */
async function startPostgres(): Promise<{ client: pg.Client; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "tally-pg-"));
  const port = 15000 + Math.floor(Math.random() * 10000);
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : cmd, asRoot ? ["-u", "postgres", "--", cmd, ...args] : args, { stdio: "ignore" });
  if (asRoot) chownSync(dir, 101, 104);
  run(`${PG_BIN}/initdb`, ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres"]);
  run(`${PG_BIN}/pg_ctl`, [
    "-D",
    join(dir, "data"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "-l",
    join(dir, "log"),
    "-w",
    "start",
  ]);
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await client.connect();
  return {
    client,
    stop: () => {
      void client.end();
      run(`${PG_BIN}/pg_ctl`, ["-D", join(dir, "data"), "-m", "fast", "stop"]);
    },
  };
}

/** Records summary by pipeline: Tally vs one SQL statement over `records(parent, result_name, type, data jsonb)`. */
async function recordsVsPostgres(ctx: ApiBenchContext, db: pg.Client, n: number): Promise<Figure> {
  const docs = [...demoRecords(new Date(), ["a", "b", "c"], Math.ceil(n / 240), 60, 21)].slice(0, n);
  await ctx.db.collection("records").deleteMany({});
  for (let i = 0; i < docs.length; i += 10_000)
    await ctx.db.collection("records").insertMany(docs.slice(i, i + 10_000).map((d) => ({ ...d, tenantId: "bench" })));
  await db.query(
    "DROP TABLE IF EXISTS records; CREATE TABLE records (parent text, result_name text, type text, data jsonb)",
  );
  for (let i = 0; i < docs.length; i += 5_000) {
    const chunk = docs.slice(i, i + 5_000);
    await db.query("INSERT INTO records SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])", [
      chunk.map((d) => d.namespace),
      chunk.map((d) => d.result),
      chunk.map((d) => d.type),
      // Tekton's table holds the object as sent (Tally stores label keys encoded: `.` as %2E).
      chunk.map((d) => JSON.stringify(readableValue(d.data))),
    ]);
  }
  await db.query("ANALYZE records");
  const dur = "((data->'status'->>'completionTime')::timestamptz - (data->'status'->>'startTime')::timestamptz)";
  const reason = "data->'status'->'conditions'->0->>'reason'";
  const sql = `SELECT parent || '/' || COALESCE(data->'metadata'->'labels'->>'tekton.dev/pipeline', '') AS group_value,
    COUNT(*) AS total,
    COUNT(CASE WHEN ${reason} IN ('Succeeded', 'Completed') THEN 1 END) AS succeeded,
    COUNT(CASE WHEN ${reason} = 'Failed' THEN 1 END) AS failed,
    COUNT(CASE WHEN ${reason} = 'Cancelled' THEN 1 END) AS cancelled,
    COUNT(CASE WHEN ${reason} = 'Running' THEN 1 END) AS running,
    COUNT(CASE WHEN ${reason} NOT IN ('Succeeded', 'Completed', 'Failed', 'Cancelled', 'Running') THEN 1 END) AS others,
    AVG(${dur}) AS avg_duration, MIN(${dur}) AS min_duration, MAX(${dur}) AS max_duration, SUM(${dur}) AS total_duration,
    MAX((data->'status'->>'startTime')::timestamptz) AS last_runtime
    FROM records WHERE parent = ANY($1) GROUP BY group_value`;
  const all =
    "total,succeeded,failed,cancelled,running,others,last_runtime,avg_duration,min_duration,max_duration,total_duration";
  const tally = () =>
    rest(ctx, `/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=${all}&group_by=pipeline`);
  const peer = () => db.query(sql, [["a", "b", "c"]]);
  const t = await medianMs(tally, PEER_RUNS, PEER_WARMUPS);
  const p = await medianMs(peer, PEER_RUNS, PEER_WARMUPS);
  const ours = ((await tally()) as { summary: { group_value: string; total: number; failed: number }[] }).summary
    .map((r) => `${r.group_value}:${r.total}:${r.failed}`)
    .sort();
  const theirs = (await peer()).rows
    .map((r: { group_value: string; total: string; failed: string }) => `${r.group_value}:${r.total}:${r.failed}`)
    .sort();
  return {
    section: "peers",
    name: "records summary group_by=pipeline vs PostgreSQL (Tekton's SQL)",
    size: `${n.toLocaleString("en")} records`,
    value: fmtMs(t),
    baseline: fmtMs(p),
    ratio: ratio(t, p),
    target: "≤ 1",
    note:
      JSON.stringify(ours) === JSON.stringify(theirs)
        ? "answers equal"
        : `ANSWERS DIFFER ${firstDifference(ours, theirs)}`,
  };
}

/** The first rows where two sorted answers part, for the bench's note. */
function firstDifference(ours: readonly string[], theirs: readonly string[]): string {
  const i = ours.findIndex((x, k) => x !== theirs[k]);
  const at = i < 0 ? ours.length : i;
  return `(${ours.length} vs ${theirs.length} rows; at ${at}: ${ours[at] ?? "-"} vs ${theirs[at] ?? "-"})`;
}

/** Telemetry: Tally vs PostgreSQL summing `bigint[]` histograms over a jsonb dimensions table (mozaggregator's schema). */
async function telemetryVsPostgres(ctx: ApiBenchContext, db: pg.Client): Promise<Figure> {
  await ctx.db.collection("histograms").deleteMany({});
  await ctx.db.collection("metric_definitions").deleteMany({});
  const buckets = Array.from({ length: 20 }, (_, i) => i * 10);
  await ctx.db.collection("metric_definitions").insertOne({
    tenantId: "bench",
    name: "PEER_MS",
    kind: "linear",
    buckets,
    labels: [],
    description: "peer",
    keyed: false,
  });
  const r = new Random(77);
  type Dims = Dimensions & { metric: string };
  const rows: { date: string; dims: Dims; histogram: number[]; sum: number; count: number }[] = [];
  for (let d = 0; d < 30; d++) {
    const date = `202403${String(d + 1).padStart(2, "0")}`;
    for (let k = 0; k < 1000; k++) {
      const synth = syntheticHistogram(k, r, buckets);
      const dims = { metric: "PEER_MS", ...synth.dims };
      const histogram = synth.histogram;
      const count = synth.count;
      rows.push({ date, dims, histogram, sum: count * 3, count });
    }
  }
  const mongoDocs = rows.map((x) => ({
    tenantId: "bench",
    prefix: "build_id",
    channel: "peer",
    version: "1",
    date: x.date,
    ...x.dims,
    dimsKey: dimsKey(x.dims),
    histogram: x.histogram,
    sum: x.sum,
    count: x.count,
  }));
  for (let i = 0; i < mongoDocs.length; i += 10_000)
    await ctx.db.collection("histograms").insertMany(mongoDocs.slice(i, i + 10_000));
  await db.query(`DROP TABLE IF EXISTS aggregates;
    CREATE TABLE aggregates (date text, dimensions jsonb, histogram bigint[]);
    CREATE OR REPLACE FUNCTION aggregate_arrays(acc bigint[], x bigint[]) RETURNS bigint[] AS $$
      SELECT array_agg(coalesce(a, 0) + b) FROM unnest(acc, x) AS t(a, b) $$ LANGUAGE sql IMMUTABLE;
    DROP AGGREGATE IF EXISTS aggregate_histograms(bigint[]);
    CREATE AGGREGATE aggregate_histograms (bigint[]) (SFUNC = aggregate_arrays, STYPE = bigint[], INITCOND = '{}');`);
  for (let i = 0; i < rows.length; i += 5_000) {
    const chunk = rows.slice(i, i + 5_000);
    // As mozaggregator stores them: the histogram with sum and count appended.
    await db.query(
      "INSERT INTO aggregates SELECT d, j::jsonb, string_to_array(h, ',')::bigint[] FROM unnest($1::text[], $2::text[], $3::text[]) AS t(d, j, h)",
      [
        chunk.map((x) => x.date),
        chunk.map((x) => JSON.stringify(x.dims)),
        chunk.map((x) => [...x.histogram, x.sum, x.count].join(",")),
      ],
    );
  }
  await db.query("CREATE INDEX ON aggregates USING gin (dimensions); ANALYZE aggregates");
  const dates = Array.from({ length: 30 }, (_, d) => `202403${String(d + 1).padStart(2, "0")}`);
  const tally = () =>
    rest(ctx, `/aggregates_by/build_id/channels/peer/?version=1&dates=${dates.join(",")}&metric=PEER_MS`);
  const peer = () =>
    db.query(
      "SELECT date, dimensions->>'label' AS label, aggregate_histograms(histogram) AS h FROM aggregates WHERE date = ANY($1) AND dimensions @> $2 GROUP BY date, label ORDER BY date",
      [dates, JSON.stringify({ metric: "PEER_MS" })],
    );
  const t = await medianMs(tally, PEER_RUNS, PEER_WARMUPS);
  const p = await medianMs(peer, PEER_RUNS, PEER_WARMUPS);
  const ours = (
    (await tally()) as { data: { date: string; histogram: number[]; sum: number; count: number }[] }
  ).data.map((x) => `${x.date}:${[...x.histogram, x.sum, x.count].join(",")}`);
  const theirs = (await peer()).rows.map((x: { date: string; h: string[] }) => `${x.date}:${x.h.join(",")}`);
  return {
    section: "peers",
    name: "telemetry aggregates vs PostgreSQL (bigint[] sums, dimensions @>)",
    size: "30 dates × 1,000 dimension combinations",
    value: fmtMs(t),
    baseline: fmtMs(p),
    ratio: ratio(t, p),
    target: "≤ 1",
    note: JSON.stringify(ours) === JSON.stringify(theirs) ? "answers equal" : "ANSWERS DIFFER",
  };
}

/** A throwaway InfluxDB 1.x on loopback. */
async function startInflux(): Promise<{ url: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "tally-influx-"));
  const port = 25000 + Math.floor(Math.random() * 10000);
  writeFileSync(
    join(dir, "influxdb.conf"),
    `reporting-disabled = true\nbind-address = "127.0.0.1:${port + 1}"\n[meta]\n  dir = "${dir}/meta"\n[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false\n[http]\n  bind-address = "127.0.0.1:${port}"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n`,
  );
  const child: ChildProcess = spawn("influxd", ["-config", join(dir, "influxdb.conf")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/ping`).catch(() => undefined))?.status === 204) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await fetch(`${url}/query`, { method: "POST", body: new URLSearchParams({ q: "CREATE DATABASE bench" }) });
  return { url, stop: () => void child.kill() };
}

/** Delivery stats: Tally vs InfluxDB answering Traffic Ops' own summary and series queries. */
async function deliveryVsInflux(ctx: ApiBenchContext, influx: string, n: number): Promise<Figure[]> {
  const r = new Random(19);
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const points = Array.from({ length: n }, (_, i) => ({
    time: end - i * 60_000,
    value: Math.round(r.next() * 10_000) / 10,
  }));
  await ctx.db.collection("delivery_services").deleteMany({ xmlId: "peer1" });
  await ctx.db.collection("delivery_services").insertOne({ tenantId: "bench", xmlId: "peer1", id: 99 });
  await ctx.db.collection("ds_points").deleteMany({ ds: "peer1" });
  for (let i = 0; i < n; i += 10_000)
    await ctx.db.collection("ds_points").insertMany(
      points.slice(i, i + 10_000).map((p) => ({
        tenantId: "bench",
        ds: "peer1",
        metric: "tps_total",
        time: new Date(p.time),
        value: p.value,
      })),
    );
  for (let i = 0; i < n; i += 10_000) {
    const body = points
      .slice(i, i + 10_000)
      .map((p) => `tps_total.ds.1min,cachegroup=total,deliveryservice=peer1 value=${p.value} ${p.time}`)
      .join("\n");
    const res = await fetch(`${influx}/write?db=bench&precision=ms`, { method: "POST", body });
    if (res.status !== 204) throw new Error(`influx write: ${res.status} ${await res.text()}`);
  }
  const start = new Date(end - (n - 1) * 60_000).toISOString();
  const stop = new Date(end).toISOString();
  const where = `cachegroup = 'total' AND deliveryservice = 'peer1' AND time >= '${start}' AND time <= '${stop}'`;
  const influxQuery = async (q: string) =>
    (await (await fetch(`${influx}/query?db=bench&epoch=ms&q=${encodeURIComponent(q)}`)).json()) as any;
  const summaryQ = `SELECT mean(value), percentile(value, 5), percentile(value, 95), percentile(value, 98), min(value), max(value), count(value) FROM "tps_total.ds.1min" WHERE ${where}`;
  const seriesQ = `SELECT mean(value) FROM "tps_total.ds.1min" WHERE ${where} GROUP BY time(1h, 0s)`;
  const tallySummary = () =>
    rest(
      ctx,
      `/api/4.0/deliveryservice_stats?deliveryServiceName=peer1&metricType=tps_total&startDate=${start}&endDate=${stop}&exclude=series`,
    );
  const tallySeries = () =>
    rest(
      ctx,
      `/api/4.0/deliveryservice_stats?deliveryServiceName=peer1&metricType=tps_total&startDate=${start}&endDate=${stop}&interval=1h&exclude=summary`,
    );
  const ts = await medianMs(tallySummary, PEER_RUNS, PEER_WARMUPS);
  const is = await medianMs(() => influxQuery(summaryQ), PEER_RUNS, PEER_WARMUPS);
  const tser = await medianMs(tallySeries, PEER_RUNS, PEER_WARMUPS);
  const iser = await medianMs(() => influxQuery(seriesQ), PEER_RUNS, PEER_WARMUPS);
  const ours = (
    (await tallySummary()) as {
      response: {
        summary: {
          count: number;
          average: number;
          fifthPercentile: number;
          ninetyFifthPercentile: number;
          ninetyEighthPercentile: number;
        };
      };
    }
  ).response.summary;
  const theirs = (await influxQuery(summaryQ)).results[0].series[0].values[0] as number[];
  const equal =
    ours.count === theirs[7] &&
    Math.abs(ours.average - theirs[1]!) < 1e-6 &&
    ours.fifthPercentile === theirs[2] &&
    ours.ninetyFifthPercentile === theirs[3] &&
    ours.ninetyEighthPercentile === theirs[4];
  const size = `${n.toLocaleString("en")} points`;
  return [
    {
      section: "peers",
      name: "delivery summary vs InfluxDB 1.6 (Traffic Ops' query)",
      size,
      value: fmtMs(ts),
      baseline: fmtMs(is),
      ratio: ratio(ts, is),
      target: "≤ 1",
      note: equal ? "answers equal" : `ANSWERS DIFFER ${JSON.stringify(ours)} ${JSON.stringify(theirs)}`,
    },
    {
      section: "peers",
      name: "delivery series interval=1h vs InfluxDB GROUP BY time(1h)",
      size,
      value: fmtMs(tser),
      baseline: fmtMs(iser),
      ratio: ratio(tser, iser),
      target: "≤ 1",
    },
  ];
}

/** Peers on the same data, in the same run; each skipped with the reason when it can't start. */
export async function benchPeers(ctx: ApiBenchContext, sizes: { records: number; points: number }): Promise<Figure[]> {
  const out: Figure[] = [];
  if (existsSync(`${PG_BIN}/initdb`)) {
    let peer: Awaited<ReturnType<typeof startPostgres>> | undefined;
    try {
      peer = await startPostgres();
      out.push(await recordsVsPostgres(ctx, peer.client, sizes.records));
      out.push(await telemetryVsPostgres(ctx, peer.client));
    } catch (e) {
      out.push({
        section: "peers",
        name: "PostgreSQL",
        size: "",
        value: `skipped: ${(e as Error).message.split("\n")[0]}`,
      });
    } finally {
      peer?.stop();
    }
  } else
    out.push({
      section: "peers",
      name: "PostgreSQL (records, telemetry)",
      size: "",
      value: "skipped: PostgreSQL 15 not installed (apt-get install postgresql)",
    });
  let influx: Awaited<ReturnType<typeof startInflux>> | undefined;
  try {
    execFileSync("which", ["influxd"], { stdio: "ignore" });
    influx = await startInflux();
    out.push(...(await deliveryVsInflux(ctx, influx.url, sizes.points)));
  } catch (e) {
    out.push({
      section: "peers",
      name: "InfluxDB 1.x (delivery stats)",
      size: "",
      value: `skipped: ${influx ? (e as Error).message.split("\n")[0] : "influxd not installed (apt-get install influxdb)"}`,
    });
  } finally {
    influx?.stop();
  }
  return out;
}

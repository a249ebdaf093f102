import type { Db } from "mongodb";
import { createClient, ensureTenant } from "../auth/bootstrap.js";
import type { Logger } from "../platform/logger.js";
import type { TenantDirectory } from "../auth/tenant-directory.js";
import { demoPoints } from "./delivery-stats.js";
import { demoJobs } from "./jobs.js";
import { demoChoices, demoMetricRows } from "./metrics.js";
import { demoRecords } from "./records.js";
import { demoDefinitions, demoHistograms } from "./telemetry.js";

/** Sizes of the demo data set; tests shrink them. The defaults keep a fresh start under 5 s. */
export interface DemoSizes {
  readonly jobs: number;
  readonly recordRunsPerDay: number;
  readonly deliveryDays: number;
  readonly telemetryDates: number;
  readonly metricDays: number;
}

/** The demo data `npm start` loads (sized so that a fresh start is ready within 5 s). */
export const defaultDemoSizes: DemoSizes = {
  jobs: 50_000,
  recordRunsPerDay: 40,
  deliveryDays: 7,
  telemetryDates: 14,
  metricDays: 30,
};

/** What the demo load needs of a running Tally: its tenant directory and its database. */
export interface DemoTarget {
  readonly app: { readonly directory: TenantDirectory };
  readonly database: { readonly db: Db };
}

/**
 * Demo data for the zero-setup server: tenants demo → {demo-eu, demo-us} and a demo client that reads
 * (and writes) every API's demo data. Idempotent: on a data directory that already has it, nothing is
 * loaded and no secret is printed again.
 */
export async function loadDemo(
  tally: DemoTarget,
  logger: Logger,
  out: (line: string) => void,
  sizes: DemoSizes = defaultDemoSizes,
  now = new Date(),
): Promise<void> {
  const { directory } = tally.app;
  if (await directory.clients.findOne({ _id: "c-demo" })) {
    logger.info("demo data already present (its credentials were printed when it was created)");
    return;
  }
  const started = performance.now();
  await ensureTenant(directory, "demo", "Demo", "root");
  await ensureTenant(directory, "demo-eu", "Demo EU", "demo");
  await ensureTenant(directory, "demo-us", "Demo US", "demo");
  const db = tally.database.db;
  const counts = await loadCollections(db, sizes, now);
  await db
    .collection<{ _id: string; seq: number }>("counters")
    .updateOne({ _id: "delivery_service" }, { $max: { seq: 3 } }, { upsert: true });
  const creds = await createClient(directory, "demo", ["reader", "writer"], "c-demo");
  logger.info(
    { ...counts, ms: Math.round(performance.now() - started) },
    "loaded demo data for tenants demo, demo-eu, demo-us",
  );
  out(`demo credentials (shown once): client_id=${creds.clientId} client_secret=${creds.clientSecret}`);
}

/**
 * Every collection's demo documents, loaded concurrently (their documents are generated while earlier
 * batches are being stored, which is what makes a fresh start with demo data take seconds). Returns
 * the documents stored per collection.
 */
async function loadCollections(db: Db, sizes: DemoSizes, now: Date): Promise<Record<string, number>> {
  const loads: [collection: string, tenantId: string, docs: Iterable<object>][] = [
    ["jobs", "demo", demoJobs(now, sizes.jobs)],
    ["records", "demo", demoRecords(now, ["frontend", "backend", "data"], sizes.recordRunsPerDay)],
    ["records", "demo-eu", demoRecords(now, ["payments"], Math.ceil(sizes.recordRunsPerDay / 4), 60, 12)],
    ["metric_choices", "demo", demoChoices()],
    ["metric_rows", "demo", demoMetricRows(now, sizes.metricDays)],
    [
      "delivery_services",
      "demo",
      [
        { xmlId: "demo1", id: 1 },
        { xmlId: "demo2", id: 2 },
        { xmlId: "eu-video", id: 3, tenantId: "demo-eu" },
      ],
    ],
    [
      "ds_points",
      "demo",
      demoPoints(
        now,
        "demo1",
        ["kbps", "tps_total", "tps_2xx", "tps_3xx", "tps_4xx", "tps_5xx"],
        1200,
        sizes.deliveryDays,
      ),
    ],
    ["ds_points", "demo", demoPoints(now, "demo2", ["kbps", "tps_total"], 300, sizes.deliveryDays)],
    ["ds_points", "demo-eu", demoPoints(now, "eu-video", ["kbps", "tps_total"], 500, sizes.deliveryDays)],
    ["metric_definitions", "demo", demoDefinitions],
    ["histograms", "demo", demoHistograms(now, sizes.telemetryDates)],
  ];
  const stored = await Promise.all(loads.map(([c, t, docs]) => insertAll(db, c, t, docs)));
  const counts: Record<string, number> = {};
  loads.forEach(([c], i) => {
    counts[c] = (counts[c] ?? 0) + stored[i]!;
  });
  return counts;
}

/** Inserts in batches of 5,000, with a second batch generated and sent while one is being stored. */
async function insertAll(db: Db, collection: string, tenantId: string, docs: Iterable<object>): Promise<number> {
  let batch: object[] = [];
  let n = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  for (const d of docs) {
    batch.push({ tenantId, ...d });
    if (batch.length === 5_000) {
      await inFlight;
      inFlight = db.collection(collection).insertMany(batch, { ordered: false });
      n += batch.length;
      batch = [];
    }
  }
  await inFlight;
  if (batch.length) await db.collection(collection).insertMany(batch, { ordered: false });
  return n + batch.length;
}

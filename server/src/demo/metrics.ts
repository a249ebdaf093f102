import { Random, dailyRhythm } from "./random.js";

/** A demo metrics choice. */
export interface DemoChoice {
  type: string;
  choiceId: number;
  fields: Record<string, string | boolean | null>;
}

/** A demo hourly metrics row. */
export interface DemoRow {
  type: string;
  choiceId: number;
  hour: Date;
  values: Record<string, number | null>;
}

const jobTypeNames = [
  "scale-clock",
  "scale-ingest",
  "scale-strike",
  "landsat-parse",
  "sentinel-tile",
  "modis-fire",
  "viirs-mask",
  "elevation-merge",
  "ocr-extract",
  "cloud-cover",
];

/** Job types, error types and strike processes (the three metrics types' choices). */
export function demoChoices(): DemoChoice[] {
  const out: DemoChoice[] = jobTypeNames.map((name, i) => ({
    type: "job-types",
    choiceId: i + 1,
    fields: {
      name,
      version: "1.0",
      title: name.replace(/-/g, " ").replace(/\b\w/g, (c) => c.toUpperCase()),
      description: `Processes ${name.replace(/-/g, " ")} products`,
      category: i < 3 ? "system" : "processing",
      author_name: null,
      author_url: null,
      is_system: i < 3,
      is_long_running: i < 2,
      is_active: true,
      is_operational: true,
      is_paused: false,
      icon_code: "f013",
    },
  }));
  for (const [i, name] of ["unknown", "database-error", "timeout", "bad-input", "algorithm-crash"].entries()) {
    out.push({
      type: "errors",
      choiceId: i + 1,
      fields: {
        name,
        title: name.replace(/-/g, " "),
        description: `Jobs failed: ${name}`,
        category: i < 3 ? "SYSTEM" : i === 3 ? "DATA" : "ALGORITHM",
        is_builtin: i < 3,
      },
    });
  }
  for (const [i, name] of ["landsat-strike", "sentinel-strike", "modis-strike"].entries()) {
    out.push({
      type: "ingests",
      choiceId: i + 1,
      fields: { name, title: name.replace(/-/g, " "), description: `Watches the ${name.split("-")[0]} bucket` },
    });
  }
  return out;
}

/** Hourly rows for every choice over `days` days before `now`. */
export function* demoMetricRows(now: Date, days = 60, seed = 23): Generator<DemoRow> {
  const r = new Random(seed);
  const end = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  for (const c of demoChoices()) {
    for (let h = days * 24; h > 0; h--) {
      const hour = new Date(end - h * 3_600_000);
      const load = dailyRhythm(hour) * (c.type === "job-types" ? 40 / c.choiceId : 6);
      const values: Record<string, number | null> = {};
      if (c.type === "ingests") {
        const n = {
          deferred_count: Math.round(load * r.next() * 0.1),
          ingested_count: Math.round(load * r.next()),
          errored_count: Math.round(load * r.next() * 0.05),
          duplicate_count: Math.round(load * r.next() * 0.05),
        };
        Object.assign(values, n, { total_count: Object.values(n).reduce((a, b) => a + b, 0) });
        measure(values, r, "file_size", n.ingested_count, 50_000_000);
        measure(values, r, "transfer_time", n.ingested_count, 12);
        measure(values, r, "ingest_time", n.ingested_count, 30);
      } else if (c.type === "errors") {
        values.total_count = Math.round(load * r.next() * 0.3);
      } else {
        const completed = Math.round(load * (0.8 + 0.2 * r.next()));
        const failed = Math.round(load * 0.08 * r.next());
        const canceled = Math.round(load * 0.02 * r.next());
        Object.assign(values, {
          completed_count: completed,
          failed_count: failed,
          canceled_count: canceled,
          total_count: completed + failed + canceled,
        });
        values.error_system_count = Math.round(failed * 0.5);
        values.error_data_count = Math.round(failed * 0.3);
        values.error_algorithm_count = failed - (values.error_system_count ?? 0) - (values.error_data_count ?? 0);
        for (const [m, median] of [
          ["queue_time", 20],
          ["pre_time", 5],
          ["job_time", 120],
          ["post_time", 4],
          ["run_time", 130],
          ["stage_time", 8],
        ] as const)
          measure(values, r, m, completed + failed, median);
      }
      yield { type: c.type, choiceId: c.choiceId, hour, values };
    }
  }
}

function measure(values: Record<string, number | null>, r: Random, m: string, n: number, median: number): void {
  if (n === 0) {
    values[`${m}_sum`] = values[`${m}_min`] = values[`${m}_max`] = values[`${m}_avg`] = null;
    return;
  }
  const xs = Array.from({ length: Math.min(n, 20) }, () => r.logNormal(median, 0.5));
  const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
  Object.assign(values, {
    [`${m}_sum`]: Math.round(avg * n),
    [`${m}_min`]: Math.round(Math.min(...xs)),
    [`${m}_max`]: Math.round(Math.max(...xs)),
    [`${m}_avg`]: Math.round(avg * 100) / 100,
  });
}

import { dimsKey } from "../apis/telemetry/dimensions.js";
import { Random } from "./random.js";

import type { DefinitionDoc } from "../apis/telemetry/definition-doc.js";

const exp = (max: number, n: number) => [
  0,
  ...Array.from({ length: n - 1 }, (_, i) => Math.round(Math.exp((Math.log(max) * (i + 1)) / (n - 1)))),
];
const lin = (max: number, n: number) => Array.from({ length: n }, (_, i) => Math.round((max * i) / (n - 1)));

/** A dozen metrics of every kind, keyed and unkeyed. */
export const demoDefinitions: DefinitionDoc[] = [
  {
    name: "GC_MS",
    kind: "exponential",
    buckets: exp(10000, 20),
    labels: [],
    description: "Time spent running JS GC (ms)",
    keyed: false,
  },
  {
    name: "CYCLE_COLLECTOR",
    kind: "exponential",
    buckets: exp(10000, 20),
    labels: [],
    description: "Time spent on one cycle collection (ms)",
    keyed: false,
  },
  {
    name: "PAGE_LOAD_MS",
    kind: "exponential",
    buckets: exp(60000, 30),
    labels: [],
    description: "Time to load a page (ms)",
    keyed: false,
  },
  {
    name: "MEMORY_RESIDENT_MB",
    kind: "linear",
    buckets: lin(8000, 25),
    labels: [],
    description: "Resident memory (MB)",
    keyed: false,
  },
  { name: "TAB_COUNT", kind: "linear", buckets: lin(100, 21), labels: [], description: "Open tabs", keyed: false },
  {
    name: "A11Y_INSTANTIATED_FLAG",
    kind: "flag",
    buckets: [0, 1, 2],
    labels: [],
    description: "Accessibility service was instantiated",
    keyed: false,
  },
  {
    name: "E10S_ENABLED",
    kind: "boolean",
    buckets: [0, 1, 2],
    labels: [],
    description: "Multiprocess is enabled",
    keyed: false,
  },
  {
    name: "CRASH_COUNT",
    kind: "count",
    buckets: [0, 1, 2],
    labels: [],
    description: "Crashes per session",
    keyed: false,
  },
  {
    name: "SEARCH_COUNTS",
    kind: "count",
    buckets: [0, 1, 2],
    labels: [],
    description: "Searches per engine",
    keyed: true,
  },
  {
    name: "HTTP_RESPONSE_VERSION",
    kind: "enumerated",
    buckets: lin(10, 11),
    labels: [],
    description: "HTTP version of responses",
    keyed: false,
  },
  {
    name: "ADDON_SHIM_USAGE",
    kind: "enumerated",
    buckets: lin(15, 16),
    labels: [],
    description: "Add-on shim usage per add-on",
    keyed: true,
  },
  {
    name: "STARTUP_CATEGORY",
    kind: "categorical",
    buckets: [],
    labels: ["cold", "warm", "restart", "other"],
    description: "Kind of startup",
    keyed: false,
  },
];

const channels = [
  ["nightly", "120"],
  ["beta", "119"],
  ["release", "118"],
] as const;
const apps = ["Firefox", "Fennec"];
const oses = [
  ["Windows_NT", "10.0"],
  ["Linux", "6.1"],
  ["Darwin", "23.0"],
] as const;
const children = ["true", "false"];

/** Histograms for three channels × 30 dates × every metric × a few dimension combinations, both date kinds. */
export function* demoHistograms(now: Date, dates = 30, seed = 41): Generator<Record<string, unknown>> {
  const r = new Random(seed);
  for (const prefix of ["build_id", "submission_date"]) {
    for (const [channel, version] of channels) {
      for (let d = 0; d < dates; d++) {
        const day = new Date(now.getTime() - d * 86_400_000);
        const date = day.toISOString().slice(0, 10).replace(/-/g, "");
        for (const def of demoDefinitions) {
          const labels = def.keyed
            ? def.name === "SEARCH_COUNTS"
              ? ["google", "bing", "duckduckgo"]
              : ["adblock", "uBlock0@raymondhill.net"]
            : [""];
          const size = def.kind === "categorical" ? def.labels.length : def.buckets.length;
          for (const label of labels)
            for (const application of apps)
              for (const [os, osVersion] of oses)
                for (const child of children) {
                  const scale = channel === "release" ? 50 : channel === "beta" ? 10 : 2;
                  const histogram = Array.from({ length: size }, (_, i) =>
                    Math.round(scale * 100 * Math.exp(-((i - size / 3) ** 2) / size) * r.next()),
                  );
                  const count = histogram.reduce((a, b) => a + b, 0);
                  const dims = { label, application, architecture: "x86-64", os, osVersion, child };
                  yield {
                    prefix,
                    channel,
                    version,
                    date,
                    metric: def.name,
                    ...dims,
                    dimsKey: dimsKey(dims),
                    histogram,
                    sum: Math.round(count * (def.buckets[Math.floor(size / 3)] ?? 1)),
                    count,
                  };
                }
        }
      }
    }
  }
}

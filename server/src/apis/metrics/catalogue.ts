/** Scale's three metrics types: filters, groups and full column lists. Static; choices are per tenant. */

/** A column of a metrics type: its name, group, units and aggregate. */
export interface ColumnDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly units: string;
  readonly group: string;
  readonly aggregate: "sum" | "min" | "max" | "avg";
}

/** A named group of columns (Scale's `groups`). */
export interface GroupDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/** A metrics type of Scale's catalogue: columns, groups, choice fields. */
export interface MetricsTypeDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly filters: readonly { readonly param: string; readonly type: string }[];
  readonly groups: readonly GroupDef[];
  readonly columns: readonly ColumnDef[];
  /** The fields a choice of this type shows over REST (absent ones print as null). */
  readonly choiceFields: readonly string[];
}

function counts(group: string, specs: [string, string, string][]): ColumnDef[] {
  return specs.map(([name, title, description]) => ({
    name,
    title,
    description,
    units: "count",
    group,
    aggregate: "sum",
  }));
}

/** `X_sum`, `X_min`, `X_max`, `X_avg` for one measured quantity, as Scale declares them. */
function quad(base: string, title: string, what: string, units: string): ColumnDef[] {
  return [
    {
      name: `${base}_sum`,
      title: `${title} (Sum)`,
      description: `Total ${what}.`,
      units,
      group: base,
      aggregate: "sum",
    },
    {
      name: `${base}_min`,
      title: `${title} (Min)`,
      description: `Minimum ${what}.`,
      units,
      group: base,
      aggregate: "min",
    },
    // Upstream declares stage_time_max with aggregate "min" (a bug); every _max column here is "max".
    {
      name: `${base}_max`,
      title: `${title} (Max)`,
      description: `Maximum ${what}.`,
      units,
      group: base,
      aggregate: "max",
    },
    {
      name: `${base}_avg`,
      title: `${title} (Avg)`,
      description: `Average ${what}.`,
      units,
      group: base,
      aggregate: "avg",
    },
  ];
}

const jobTimes: [string, string, string][] = [
  ["queue_time", "Queue Time", "time spent waiting in the queue"],
  ["pre_time", "Pre-task Time", "time spent on the pre-task"],
  ["job_time", "Job Task Time", "time spent on the actual job task"],
  ["post_time", "Post-task Time", "time spent on the post-task"],
  ["run_time", "Run Time", "time spent running the pre, job, and post tasks"],
  ["stage_time", "Stage Time", "overhead time spent outside the pre, job, and post tasks"],
];

/** Scale's three metrics types, as its v6 API lists them. */
export const metricsTypes: readonly MetricsTypeDef[] = [
  {
    name: "job-types",
    title: "Job Types",
    description: "Metrics for jobs and executions grouped by job type.",
    filters: [
      { param: "name", type: "string" },
      { param: "version", type: "string" },
    ],
    groups: [
      { name: "overview", title: "Overview", description: "Overall counts based on job status." },
      { name: "errors", title: "Errors", description: "Overall error counts based on category." },
      ...jobTimes.map(([name, title, what]) => ({ name, title, description: `Job execution statistics for ${what}.` })),
    ],
    columns: [
      ...counts("overview", [
        ["completed_count", "Completed Count", "Number of successfully completed jobs."],
        ["failed_count", "Failed Count", "Number of incomplete failed jobs."],
        ["canceled_count", "Canceled Count", "Number of incomplete canceled jobs."],
        ["total_count", "Total Count", "Number of completed, failed, and canceled jobs."],
      ]),
      ...counts("errors", [
        ["error_system_count", "System Error Count", "Number of failed jobs due to a system error."],
        ["error_data_count", "Data Error Count", "Number of failed jobs due to a data error."],
        ["error_algorithm_count", "Algorithm Error Count", "Number of failed jobs due to an algorithm error."],
      ]),
      ...jobTimes.flatMap(([base, title, what]) => quad(base, title, what, "seconds")),
    ],
    choiceFields: [
      "id",
      "name",
      "version",
      "title",
      "description",
      "category",
      "author_name",
      "author_url",
      "is_system",
      "is_long_running",
      "is_active",
      "is_operational",
      "is_paused",
      "icon_code",
    ],
  },
  {
    name: "errors",
    title: "Errors",
    description: "Metrics for jobs grouped by errors.",
    filters: [
      { param: "name", type: "string" },
      { param: "category", type: "string" },
    ],
    groups: [{ name: "overview", title: "Overview", description: "Overall counts for each error type." }],
    columns: counts("overview", [
      ["total_count", "Total Count", "Number of jobs that failed with a particular error type."],
    ]),
    choiceFields: ["id", "name", "title", "description", "category", "is_builtin"],
  },
  {
    name: "ingests",
    title: "Ingests",
    description: "Metrics for ingests grouped by strike process.",
    filters: [{ param: "name", type: "string" }],
    groups: [
      { name: "overview", title: "Overview", description: "Overall counts based on ingest status." },
      { name: "file_size", title: "File Size", description: "Size information about ingested files." },
      { name: "transfer_time", title: "Transfer Time", description: "Time spent transferring ingested files." },
      { name: "ingest_time", title: "Ingest Time", description: "Time spent processing ingested files." },
    ],
    columns: [
      ...counts("overview", [
        ["deferred_count", "Deferred Count", "Number of files deferred (ignored) by the ingest process."],
        ["ingested_count", "Ingested Count", "Number of files successfully ingested."],
        ["errored_count", "Errored Count", "Number of files that failed to ingest."],
        ["duplicate_count", "Duplicate Count", "Number of files that were duplicates of previous ingests."],
        ["total_count", "Total Count", "Number of deferred, ingested, errored, and duplicate ingests."],
      ]),
      ...quad("file_size", "File Size", "size of ingested files", "bytes"),
      ...quad("transfer_time", "Transfer Time", "time spent transferring files before ingest", "seconds"),
      ...quad("ingest_time", "Ingest Time", "time spent processing files during ingest", "seconds"),
    ],
    choiceFields: ["id", "name", "title", "description"],
  },
];

/** The catalogue entry named `name`, if any. */
export function metricsType(name: string): MetricsTypeDef | undefined {
  return metricsTypes.find((t) => t.name === name);
}

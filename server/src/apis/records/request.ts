import { invalidArgument } from "../../platform/errors.js";

/** The aggregate names `summary` may list. */
export const summaryNames = [
  "total",
  "succeeded",
  "failed",
  "cancelled",
  "running",
  "others",
  "last_runtime",
  "avg_duration",
  "min_duration",
  "max_duration",
  "total_duration",
] as const;
/** One of {@link summaryNames}. */
export type SummaryName = (typeof summaryNames)[number];

/** The time units `group_by` accepts. */
export const timeUnits = ["year", "month", "week", "day", "hour", "minute"] as const;
/** One of {@link timeUnits}. */
export type TimeUnit = (typeof timeUnits)[number];

/** What `group_by` asked for: nothing, a time unit over a time field, or a field. */
export type GroupBy =
  | { kind: "none" }
  | { kind: "time"; unit: TimeUnit; field: "createTime" | "startTime" | "completionTime" }
  | { kind: "field"; field: "namespace" | "pipeline" | "repository" };

/** A validated summary request. */
export interface SummaryQuery {
  /** `undefined` for `-` (every namespace the caller may read). */
  readonly namespace: string | undefined;
  readonly result: string | undefined;
  readonly summary: readonly SummaryName[];
  readonly groupBy: GroupBy;
  readonly orderBy: { field: SummaryName; direction: 1 | -1 } | undefined;
}

const parentPattern = /^([a-z0-9_-]{1,63})\/results\/([a-z0-9_-]{1,63})$/;

/** Validates a summary request with upstream's messages (and the notes' rulings). */
export function parseSummaryQuery(req: {
  parent: string;
  summary: string;
  groupBy: string;
  orderBy: string;
}): SummaryQuery {
  const m = parentPattern.exec(req.parent);
  if (!m) throw invalidArgument("name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)", "parent");
  const summary = parseSummary(req.summary);
  const groupBy = parseGroupBy(req.groupBy);
  const orderBy = groupBy.kind === "none" ? undefined : parseOrderBy(req.orderBy, summary);
  return {
    namespace: m[1] === "-" ? undefined : m[1],
    result: m[2] === "-" ? undefined : m[2],
    summary,
    groupBy,
    orderBy,
  };
}

function parseSummary(raw: string): SummaryName[] {
  // Empty, missing, or the console's literal "undefined" → total only.
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "undefined");
  if (names.length === 0) return ["total"];
  const out: SummaryName[] = [];
  for (const n of names) {
    if (!(summaryNames as readonly string[]).includes(n))
      throw invalidArgument(`invalid aggregate query: ${n}`, "summary");
    if (!out.includes(n as SummaryName)) out.push(n as SummaryName);
  }
  return out;
}

function parseGroupBy(raw: string): GroupBy {
  const v = raw.trim();
  if (v === "") return { kind: "none" };
  // Upstream splits on single spaces and, for a time unit followed by one unknown word, names only
  // that word (`week creationTimestamp` → "group_by does not recognize creationTimestamp").
  const parts = v.split(" ");
  if (parts.length === 1 && (parts[0] === "namespace" || parts[0] === "pipeline" || parts[0] === "repository")) {
    return { kind: "field", field: parts[0] };
  }
  if (parts.length <= 2 && (timeUnits as readonly string[]).includes(parts[0]!)) {
    if (parts.length === 1) return { kind: "time", unit: parts[0] as TimeUnit, field: "createTime" };
    if (parts[1] === "startTime" || parts[1] === "completionTime")
      return { kind: "time", unit: parts[0] as TimeUnit, field: parts[1] };
    throw invalidArgument(`group_by does not recognize ${parts[1]}`, "group_by");
  }
  throw invalidArgument(`group_by does not recognize ${v}`, "group_by");
}

function parseOrderBy(raw: string, summary: readonly SummaryName[]): SummaryQuery["orderBy"] {
  const v = raw.trim();
  if (v === "") return undefined;
  const parts = v.split(/\s+/);
  if (parts.length === 2) {
    const [a, b] = parts as [string, string];
    const dirOf = (s: string) => (s.toUpperCase() === "ASC" ? 1 : s.toUpperCase() === "DESC" ? -1 : undefined);
    const direction = dirOf(b) ?? dirOf(a);
    const field = dirOf(b) !== undefined ? a : dirOf(a) !== undefined ? b : undefined;
    if (direction !== undefined && field !== undefined) {
      if (!(summary as readonly string[]).includes(field))
        throw invalidArgument(`field name ${field} is not allowed, must be one of summary`, "order_by");
      return { field: field as SummaryName, direction };
    }
  }
  throw invalidArgument(`order_by does not recognize ${v}`, "order_by");
}

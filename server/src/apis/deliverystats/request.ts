import {
  GetDeliveryServiceStatsRequestSchema,
  type GetDeliveryServiceStatsRequest,
} from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { invalidArgument } from "../../platform/errors.js";

/** The `metricType`s Traffic Ops accepts. */
export const metricTypes = ["kbps", "tps_total", "tps_2xx", "tps_3xx", "tps_4xx", "tps_5xx"] as const;
/** One of {@link metricTypes}. */
export type MetricType = (typeof metricTypes)[number];

/** A validated stats request: the service, metric, window (ns), interval and what to exclude. */
export interface StatsQuery {
  readonly metric: MetricType;
  /** Inclusive bounds, in nanoseconds since the epoch (exact). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly intervalSeconds: number;
  readonly limit: number;
  readonly offset: number;
  readonly excludeSeries: boolean;
  readonly excludeSummary: boolean;
  /** deliveryServiceName, else deliveryService (an xmlId or a numeric id). */
  readonly ds: { readonly xmlId: string } | { readonly id: number };
}

const bad = (text: string, field?: string) => invalidArgument(text, field);

/** Values one series may return (14 days of 1-minute buckets is 20,160). */
export const DEFAULT_MAX_SERIES_VALUES = 50_000;

/** Step 2 of the documented order: which required parameters are absent (an empty value counts as present). */
export function missingRequired(
  req: Pick<GetDeliveryServiceStatsRequest, "metricType" | "startDate" | "endDate">,
): string[] {
  const missing: string[] = [];
  if (req.metricType === undefined) missing.push("metricType");
  if (req.startDate === undefined) missing.push("startDate");
  if (req.endDate === undefined) missing.push("endDate");
  return missing;
}

/**
 * Validates in Traffic Ops' order (after authentication and Accept, which the edge checks) and with its
 * texts; the first failure answers.
 */
export function parseStatsQuery(
  req: GetDeliveryServiceStatsRequest,
  maxSeriesValues = DEFAULT_MAX_SERIES_VALUES,
): StatsQuery {
  const missing = missingRequired(req);
  if (missing.length)
    throw bad(
      `required parameters missing: missing required parameters: ${missing.join(", ")}`,
      protoName(missing[0]!),
    );
  const limit = unsigned(req.limit, "Invalid limit!", "limit");
  const offset = unsigned(req.offset, "Invalid offset!", "offset");
  if (req.orderby !== "" && req.orderby !== "time") throw bad("Invalid orderby! Can only be 'time'", "orderby");
  const startNs = parseDate(req.startDate!, "Invalid startDate!", "start_date");
  const endNs = parseDate(req.endDate!, "Invalid endDate!", "end_date");
  const interval = req.interval === "" ? "1m" : req.interval;
  const im = /^(\d+)([mhdw])$/.exec(interval);
  const intervalSeconds = im
    ? Number(im[1]) * { m: 60, h: 3600, d: 86400, w: 604800 }[im[2] as "m" | "h" | "d" | "w"]
    : 0;
  if (!im || !(intervalSeconds > 0) || !Number.isSafeInteger(intervalSeconds)) {
    throw bad("interval: must be a valid InfluxQL duration literal (resolution no less than minute)", "interval");
  }
  if (req.exclude !== "" && req.exclude !== "series" && req.exclude !== "summary")
    throw bad("Invalid exclude! Must be 'series' or 'summary'", "exclude");
  if (!(metricTypes as readonly string[]).includes(req.metricType!))
    throw bad(`Metric is not supported: ${req.metricType}`, "metric_type");
  let ds: StatsQuery["ds"];
  if (req.deliveryServiceName !== "") ds = { xmlId: req.deliveryServiceName };
  else if (req.deliveryService !== "")
    ds = /^\d{1,15}$/.test(req.deliveryService) ? { id: Number(req.deliveryService) } : { xmlId: req.deliveryService };
  else throw bad("You must specify deliveryService or deliveryServiceName!", "delivery_service");
  const q: StatsQuery = {
    metric: req.metricType as MetricType,
    startNs,
    endNs,
    intervalSeconds,
    limit,
    offset,
    excludeSeries: req.exclude === "series",
    excludeSummary: req.exclude === "summary",
    ds,
  };
  if (!q.excludeSeries) {
    const { total } = seriesWindow(q);
    const returned = Math.max(0, q.limit > 0 ? Math.min(q.limit, total - q.offset) : total - q.offset);
    if (returned > maxSeriesValues) {
      throw bad(
        `interval: the series would have ${returned} values, more than the ${maxSeriesValues} allowed: use a longer interval, a shorter range, limit, or exclude=series`,
        "interval",
      );
    }
  }
  return q;
}

/** The buckets of a query's series: start offset (buckets align to startDate's second), first and last bucket start, count. */
export interface SeriesWindow {
  readonly offsetMs: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly total: number;
}

/** Every bucket from the one holding startDate to the one holding endDate; pure arithmetic, no allocation. */
export function seriesWindow(q: StatsQuery): SeriesWindow {
  const intervalMs = q.intervalSeconds * 1000;
  const startSeconds = Number(q.startNs / 1_000_000_000n);
  const offsetMs = (((startSeconds % q.intervalSeconds) + q.intervalSeconds) % q.intervalSeconds) * 1000;
  const bucketOf = (ms: number) => Math.floor((ms - offsetMs) / intervalMs) * intervalMs + offsetMs;
  const firstMs = bucketOf(Math.floor(Number(q.startNs / 1_000_000n)));
  const lastMs = bucketOf(Math.floor(Number(q.endNs / 1_000_000n)));
  return { offsetMs, firstMs, lastMs, total: lastMs >= firstMs ? (lastMs - firstMs) / intervalMs + 1 : 0 };
}

function unsigned(v: string, message: string, field: string): number {
  if (v === "") return 0;
  if (!/^\d{1,15}$/.test(v)) throw bad(message, field);
  return Number(v);
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const lastUpdated = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})([+-]\d{2})$/;

/** RFC 3339 (optional fraction), integer nanoseconds, or `2006-01-02 15:04:05-07`; exact to the nanosecond. */
export function parseDate(v: string, message: string, field?: string): bigint {
  if (/^-?\d{1,19}$/.test(v)) return BigInt(v);
  let m = rfc3339.exec(v);
  if (m) {
    const base = utcMs(m, m[9]!.toUpperCase() === "Z" ? "+00:00" : m[9]!);
    if (base === undefined) throw bad(message, field);
    const frac = BigInt((m[8] ?? "").padEnd(9, "0") || "0");
    return BigInt(base) * 1_000_000n + frac;
  }
  m = lastUpdated.exec(v);
  if (m) {
    const base = utcMs(m, `${m[7]}:00`);
    if (base === undefined) throw bad(message, field);
    return BigInt(base) * 1_000_000n;
  }
  throw bad(message, field);
}

function utcMs(m: RegExpExecArray, offset: string): number | undefined {
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 60) return undefined;
  const om = /^([+-])(\d{2}):(\d{2})$/.exec(offset)!;
  const off = (om[1] === "-" ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3])) * 60_000;
  return ms - off;
}

/** `metricType` → `metric_type`: BadRequest field violations name proto fields. */
function protoName(jsonName: string): string {
  return GetDeliveryServiceStatsRequestSchema.fields.find((f) => f.jsonName === jsonName)?.name ?? jsonName;
}

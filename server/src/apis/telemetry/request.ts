import { Code, ConnectError } from "@connectrpc/connect";
import type {
  GetAggregatesRequest,
  HistogramSubmission,
  MetricDefinition,
} from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import { invalidArgument } from "../../platform/errors.js";
import { dimsKey, isDate, normalizeChild, prefixes } from "./dimensions.js";
import type { DefinitionDoc } from "./definition-doc.js";
import { ItemRefused } from "../ingest-batch.js";

/** Upstream answers a missing thing with 404 and a sentence. */
export const notFound = (m: string) => new ConnectError(m, Code.NotFound);

/** `build_id` or `submission_date`, else upstream's 404. */
export function requirePrefix(prefix: string): void {
  if (!(prefixes as readonly string[]).includes(prefix))
    throw notFound(`Unknown prefix ${prefix}: use build_id or submission_date`);
}

/** An aggregates request, validated: the histograms' `$match` (dimensions not named are summed over). */
export interface AggregatesQuery {
  readonly match: Record<string, unknown>;
}

/** Checks an aggregates request as upstream does (404s for what is missing, 400 for bad dates). */
export function parseAggregatesQuery(req: GetAggregatesRequest): AggregatesQuery {
  requirePrefix(req.prefix);
  if (!req.version || !req.dates || !req.metric)
    throw notFound("Missing date or version or metric. All three are required.");
  const dates = req.dates.split(",").map((d) => d.trim());
  const badDate = dates.find((d) => !isDate(d));
  if (badDate !== undefined)
    throw invalidArgument(`Invalid date: ${badDate} (dates are YYYYMMDD, comma-separated)`, "dates");
  if (dates.length > 1000) throw invalidArgument("At most 1000 dates per request", "dates");
  const match: Record<string, unknown> = {
    prefix: req.prefix,
    channel: req.channel,
    version: req.version,
    metric: req.metric,
    date: { $in: dates },
  };
  const dims: [string, string[]][] = [
    ["application", req.application],
    ["architecture", req.architecture],
    ["os", req.os],
    ["osVersion", req.osVersion],
    ["child", req.child.map(normalizeChild)],
    ["label", req.label],
  ];
  for (const [field, values] of dims) if (values.length) match[field] = { $in: values };
  return { match };
}

/** The largest count a histogram may carry: sums stay exact in doubles. */
const MAX_COUNT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One submitted histogram, checked against its metric's definition (`def`, undefined when unknown):
 * the natural key it is stored under and the numbers merged into it. Throws ItemRefused naming the field.
 */
export function decodeHistogram(h: HistogramSubmission, def: DefinitionDoc | undefined) {
  const expected = def ? (def.kind === "categorical" ? def.labels.length : def.buckets.length) : 0;
  if (!(prefixes as readonly string[]).includes(h.prefix))
    throw new ItemRefused("prefix", "prefix must be build_id or submission_date");
  if (!h.channel || !h.version) throw new ItemRefused("channel", "channel and version are required");
  if (!isDate(h.date)) throw new ItemRefused("date", "date must be YYYYMMDD");
  if (!def) throw new ItemRefused("metric", `unknown metric ${h.metric}: define it first`);
  if (h.histogram.length !== expected)
    throw new ItemRefused("histogram", `histogram has ${h.histogram.length} buckets; ${h.metric} has ${expected}`);
  if (h.histogram.some((n) => n < 0n) || h.count < 0n)
    throw new ItemRefused("histogram", "bucket counts must not be negative");
  if (h.histogram.some((n) => n > MAX_COUNT) || h.count > MAX_COUNT)
    throw new ItemRefused("histogram", `counts must be at most ${MAX_COUNT} (2^53 − 1): they are added up exactly`);
  if (!Number.isFinite(h.sum) || Math.abs(h.sum) > Number.MAX_VALUE / 2 ** 20)
    throw new ItemRefused("sum", "sum must be a finite number");
  if (h.label !== "" && !def.keyed) throw new ItemRefused("label", `${h.metric} is not keyed`);
  const dims = {
    label: h.label,
    application: h.application,
    architecture: h.architecture,
    os: h.os,
    osVersion: h.osVersion,
    child: normalizeChild(h.child),
  };
  const key = {
    prefix: h.prefix,
    channel: h.channel,
    version: h.version,
    date: h.date,
    metric: h.metric,
    dimsKey: dimsKey(dims),
    ...dims,
  };
  return { key, value: { histogram: h.histogram.map(Number), sum: h.sum, count: Number(h.count) } };
}

const kinds = ["flag", "boolean", "count", "enumerated", "linear", "exponential", "categorical"];
const namePattern = /^[A-Za-z0-9_.:-]{1,200}$/;
/** Buckets one metric may have: a read sums each in its own accumulator. */
export const MAX_BUCKETS = 1000;

/** One metric definition, checked: the natural key and document it is stored as. Throws ItemRefused. */
export function decodeDefinition(m: MetricDefinition) {
  const layout = m.kind === "categorical" ? "labels" : "buckets";
  const size = m.kind === "categorical" ? m.labels.length : m.buckets.length;
  if (!namePattern.test(m.name))
    throw new ItemRefused("name", "metric names are 1-200 letters, digits, '_', '.', ':' or '-'");
  if (!kinds.includes(m.kind)) throw new ItemRefused("kind", `kind must be one of ${kinds.join(", ")}`);
  if (size === 0) throw new ItemRefused(layout, "at least one bucket is required");
  if (size > MAX_BUCKETS) throw new ItemRefused(layout, `at most ${MAX_BUCKETS} buckets per metric`);
  if (m.kind !== "categorical" && m.buckets.some((b, j) => j > 0 && b <= m.buckets[j - 1]!))
    throw new ItemRefused("buckets", "bucket lower bounds must increase");
  return {
    key: { name: m.name },
    doc: { kind: m.kind, buckets: [...m.buckets], labels: [...m.labels], description: m.description, keyed: m.keyed },
  };
}

/** What must agree for two definitions' histograms to be added bucket by bucket. */
function layoutOf(d: DefinitionDoc): string {
  return JSON.stringify([d.kind, d.kind === "categorical" ? d.labels : d.buckets]);
}

/**
 * The bucket count of `metric` across the definitions a read covers (each tenant defines its own):
 * 404 when none defines it; refused when they disagree on the layout (their histograms cannot be
 * added up) or it exceeds MAX_BUCKETS.
 */
export function bucketCount(metric: string, defs: readonly DefinitionDoc[]): number {
  const def = defs[0];
  if (!def) throw notFound(`Unknown metric: ${metric}`);
  if (defs.some((d) => layoutOf(d) !== layoutOf(def))) {
    throw new ConnectError(
      `${metric} is defined with different bucket layouts by the tenants this read covers; their histograms cannot be added up`,
      Code.FailedPrecondition,
    );
  }
  const length = def.kind === "categorical" ? def.labels.length : def.buckets.length;
  if (length > MAX_BUCKETS)
    throw new ConnectError(`${metric} has more than ${MAX_BUCKETS} buckets; redefine it`, Code.FailedPrecondition);
  return length;
}

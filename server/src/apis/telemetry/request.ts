import { Code, ConnectError } from "@connectrpc/connect";
import type { GetAggregatesRequest } from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import { invalidArgument } from "../../platform/errors.js";
import { isDate, normalizeChild, prefixes } from "./dimensions.js";

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

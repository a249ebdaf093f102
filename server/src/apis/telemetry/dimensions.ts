/** Query parameters the aggregates route accepts; anything else is answered 405 (upstream). */
export const allowedAggregateParams = [
  "version",
  "dates",
  "metric",
  "application",
  "architecture",
  "os",
  "osVersion",
  "child",
  "label",
] as const;

/** The two ways Mozilla's aggregates are keyed: by build id or by submission date. */
export const prefixes = ["build_id", "submission_date"] as const;

const datePattern = /^\d{8}$/;

/** `YYYYMMDD` that is a real calendar date. */
export function isDate(v: string): boolean {
  if (!datePattern.test(v)) return false;
  const d = new Date(Date.UTC(Number(v.slice(0, 4)), Number(v.slice(4, 6)) - 1, Number(v.slice(6, 8))));
  return (
    d.getUTCFullYear() === Number(v.slice(0, 4)) &&
    d.getUTCMonth() === Number(v.slice(4, 6)) - 1 &&
    d.getUTCDate() === Number(v.slice(6, 8))
  );
}

/** `child` as stored: `true`/`false` (also `content`/`parent`, which mean true/false), or e.g. `gpu`. */
export function normalizeChild(v: string): string {
  if (v === "content") return "true";
  if (v === "parent") return "false";
  return v;
}

/** The dimensions a histogram is kept apart by (besides prefix, channel, version, date and metric). */
export interface Dimensions {
  label: string;
  application: string;
  architecture: string;
  os: string;
  osVersion: string;
  child: string;
}

/** The dimension part of a histogram's identity, as one stable key. */
export function dimsKey(d: Dimensions): string {
  return JSON.stringify([d.label, d.application, d.architecture, d.os, d.osVersion, d.child]);
}

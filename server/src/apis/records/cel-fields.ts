import { FilterError } from "./cel-error.js";

// The record fields a filter may name, and how they are stored.

/** A field the filter may name, and the stored path it maps to. */
export interface FieldRef {
  readonly path: string;
  readonly kind: "string" | "time";
  readonly pos: number;
  /** Where the same instant is stored in microseconds, for time fields that keep them. */
  readonly micros?: string;
}

/** Known record fields (CEL name → stored path). */
export const fixedFields: Readonly<Record<string, { path: string; kind: "string" | "time"; micros?: string }>> = {
  data_type: { path: "type", kind: "string" },
  name: { path: "name", kind: "string" },
  parent: { path: "namespace", kind: "string" },
  uid: { path: "uid", kind: "string" },
  create_time: { path: "createTime", kind: "time" },
  update_time: { path: "updateTime", kind: "time" },
  "data.metadata.namespace": { path: "namespace", kind: "string" },
  "data.metadata.name": { path: "data.metadata.name", kind: "string" },
  "data.metadata.creationTimestamp": { path: "createTime", kind: "time" },
  "data.status.startTime": { path: "startTime", kind: "time", micros: "startUs" },
  "data.status.completionTime": { path: "completionTime", kind: "time", micros: "completionUs" },
  "data.status.conditions[0].reason": { path: "reason", kind: "string" },
  'data.metadata.labels["tekton.dev/pipeline"]': { path: "pipeline", kind: "string" },
  'data.metadata.annotations["pipelinesascode.tekton.dev/repository"]': { path: "repository", kind: "string" },
};

const identSegment = /^[A-Za-z_][A-Za-z0-9_]*$/;

const keySegment = /^[A-Za-z0-9_./-]{1,253}$/;

/** A field path resolved through the allowlist: fixed fields, labels/annotations by key, `data.metadata|spec|status.…`. */
export function resolveField(text: string, segs: readonly string[], pos: number): FieldRef {
  const fixed = fixedFields[text];
  if (fixed) return { ...fixed, pos };
  // data.metadata.labels["k"] / annotations["k"]
  if (
    segs.length === 4 &&
    segs[0] === "data" &&
    segs[1] === "metadata" &&
    (segs[2] === "labels" || segs[2] === "annotations") &&
    segs[3]!.startsWith('"')
  ) {
    const key = segs[3]!.slice(1, -1);
    if (!keySegment.test(key)) throw new FilterError(pos, `label or annotation key not allowed: ${key}`);
    // Keys hold dots and slashes; stored under an escaped map so they never form a path.
    return { path: `${segs[2]}.${encodeKey(key)}`, kind: "string", pos };
  }
  if (
    segs.length >= 3 &&
    segs[0] === "data" &&
    ["metadata", "spec", "status"].includes(segs[1]!) &&
    segs.every((s) => identSegment.test(s))
  ) {
    return { path: segs.join("."), kind: "string", pos };
  }
  throw new FilterError(pos, `field ${text} is not supported in filters`);
}

/** Label and annotation keys as stored: `.` and `$` can't appear in a field name safely. */
export function encodeKey(key: string): string {
  return key.replace(/%/g, "%25").replace(/\./g, "%2E").replace(/\$/g, "%24");
}

/** The inverse of {@link encodeKey}. */
export function decodeKey(key: string): string {
  return key.includes("%") ? key.replace(/%2E/g, ".").replace(/%24/g, "$").replace(/%25/g, "%") : key;
}

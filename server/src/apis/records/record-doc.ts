import { randomUUID } from "node:crypto";
import { ItemRefused } from "../ingest-batch.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { rfc3339Micros } from "../../platform/time/rfc3339.js";
import { decodeKey, encodeKey } from "./cel-filter.js";

/** A stored record (storage model; the wire model is tally.records.v1.Record). */
export interface RecordDoc {
  tenantId?: string;
  namespace: string;
  result: string;
  name: string;
  uid: string;
  type: string;
  createTime: Date | null;
  updateTime: Date;
  startTime: Date | null;
  completionTime: Date | null;
  /** The same instants in microseconds since the epoch, as Tekton's Postgres keeps them (durations). */
  startUs: number | null;
  completionUs: number | null;
  /** `status.conditions[0].reason`, the status the summary counts. */
  reason: string | null;
  /** `metadata.labels["tekton.dev/pipeline"]`. */
  pipeline: string | null;
  /** `metadata.annotations["pipelinesascode.tekton.dev/repository"]`. */
  repository: string | null;
  /** Labels and annotations with keys escaped for filtering. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: JsonObject;
}

/** Thrown for a record that can't be stored; `field` names the offending part. */
export class RecordInputError extends ItemRefused {}

const namePattern = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;
const knownTypes = /^[A-Za-z0-9.]+\/[A-Za-z0-9]+\.[A-Za-z]+$/;

/** Builds the storage document from a Tekton object (PipelineRun, TaskRun, Log, ...). */
export function toRecordDoc(
  namespace: string,
  result: string,
  nameHint: string,
  type: string,
  value: JsonObject,
): RecordDoc {
  if (!knownTypes.test(type))
    throw new RecordInputError(
      "data.type",
      `record type must look like "tekton.dev/v1.PipelineRun", got "${type.slice(0, 80)}"`,
    );
  const metadata = obj(value.metadata);
  const status = obj(value.status);
  const name = nameHint || str(metadata.name) || "";
  if (!namePattern.test(name))
    throw new RecordInputError(
      "name",
      "record name must be a DNS-1123 subdomain (lower-case letters, digits, '-', '.')",
    );
  const labels = strMap(metadata.labels);
  const annotations = strMap(metadata.annotations);
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const first = obj(conditions[0]);
  return {
    namespace,
    result,
    name,
    uid: str(metadata.uid) ?? randomUUID(),
    type,
    createTime: time(metadata.creationTimestamp, "data.value.metadata.creationTimestamp"),
    updateTime: new Date(),
    startTime: time(status.startTime, "data.value.status.startTime"),
    completionTime: time(status.completionTime, "data.value.status.completionTime"),
    startUs: rfc3339Micros(status.startTime),
    completionUs: rfc3339Micros(status.completionTime),
    reason: str(first.reason) ?? null,
    pipeline: labels["tekton.dev/pipeline"] ?? null,
    repository: annotations["pipelinesascode.tekton.dev/repository"] ?? null,
    labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [encodeKey(k), v])),
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [encodeKey(k), v])),
    data: storedValue(value, "data.value", 0) as JsonObject,
  };
}

const MAX_VALUE_DEPTH = 64;

/**
 * The Tekton object as stored: keys with `.`, `%` or `$` inside are encoded (Kubernetes label keys
 * such as `app.kubernetes.io/name` are common), and {@link readableValue} decodes them. A key MongoDB
 * cannot store (NUL) or that would read as an operator (leading `$`) is refused, naming its path.
 */
function storedValue(v: JsonValue, path: string, depth: number): JsonValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new RecordInputError(path, `data.value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (Array.isArray(v)) return v.map((x, i) => storedValue(x, `${path}[${i}]`, depth + 1));
  if (v === null || typeof v !== "object") return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const at = `${path}.${k.replaceAll("\u0000", "\\0").slice(0, 80)}`;
    if (k.includes("\u0000")) throw new RecordInputError(at, "keys must not contain NUL characters");
    if (k.startsWith("$")) throw new RecordInputError(at, "keys must not start with '$'");
    out[encodeKey(k)] = storedValue(x, at, depth + 1);
  }
  return out;
}

/** The Tekton object as it was sent (see storedValue). */
export function readableValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(readableValue);
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [decodeKey(k), readableValue(x)]));
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === "string") out[k] = x;
  return out;
}

function time(v: unknown, field: string): Date | null {
  if (v === undefined || v === null || v === "") return null;
  const d = typeof v === "string" ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new RecordInputError(field, `${field} must be an RFC 3339 time`);
  return d;
}

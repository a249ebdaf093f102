import { toJson } from "@bufbuild/protobuf";
import { ItemRefused } from "../ingest-batch.js";
import { ValueSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import type { JobDocument } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";

/** A stored job (storage model; the wire model is tally.jobs.v1.JobDocument). */
export interface JobDoc {
  jobId: string;
  application: string;
  app_type: string;
  domain: string;
  region: string;
  eu: boolean;
  timestamp: Date;
  job: {
    id: string;
    name: string;
    state: string;
    started_at: Date | null;
    finished_at: Date | null;
    duration_ms: number | null;
    attributes: Record<string, string | number | boolean>;
  };
}

/** A job that can't be stored; `field` is the dotted path of the offending field. */
export class JobInputError extends ItemRefused {}

const idPattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const statePattern = /^[A-Z][A-Z0-9_]{0,31}$/;
const attributeName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_TEXT = 256;

/** Validates one job and builds its storage document. EU membership defaults from the region (`eu-*`). */
export function toJobDoc(j: JobDocument): JobDoc {
  const text = (field: string, v: string, required: boolean) => {
    if (required && v === "") throw new JobInputError(field, `${field} is required`);
    if (v.length > MAX_TEXT) throw new JobInputError(field, `${field} is longer than ${MAX_TEXT} characters`);
    return v;
  };
  if (!j.job) throw new JobInputError("job", "job is required");
  if (!idPattern.test(j.job.id))
    throw new JobInputError("job.id", "job.id is required: 1-128 letters, digits or . _ : @ -");
  if (!statePattern.test(j.job.state))
    throw new JobInputError("job.state", "job.state is required, in upper case (SUCCEEDED, FAILED, RUNNING, ...)");
  if (!j.timestamp) throw new JobInputError("@timestamp", "@timestamp is required");
  const duration = j.job.durationMs;
  if (duration !== undefined && !(Number.isFinite(duration) && duration >= 0))
    throw new JobInputError("job.duration_ms", "job.duration_ms must be a non-negative number");
  const attributes: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(j.job.attributes)) {
    if (!attributeName.test(k))
      throw new JobInputError(
        `job.attributes.${k.slice(0, 64)}`,
        "attribute names are identifiers (letters, digits, _)",
      );
    const value = toJson(ValueSchema, v);
    if (typeof value === "string") attributes[k] = value.slice(0, MAX_TEXT);
    else if (typeof value === "number" || typeof value === "boolean") attributes[k] = value;
    else throw new JobInputError(`job.attributes.${k}`, "attribute values are strings, numbers or booleans");
  }
  const region = text("region", j.region, false);
  const started = j.job.startedAt ? timestampDate(j.job.startedAt) : null;
  const finished = j.job.finishedAt ? timestampDate(j.job.finishedAt) : null;
  return {
    jobId: j.job.id,
    application: text("application", j.application, true),
    app_type: text("app_type", j.appType, false),
    domain: text("domain", j.domain, false),
    region,
    eu: j.eu ?? /^eu([-_]|$)/i.test(region),
    timestamp: timestampDate(j.timestamp),
    job: {
      id: j.job.id,
      name: text("job.name", j.job.name, false),
      state: j.job.state,
      started_at: started,
      finished_at: finished,
      duration_ms: duration ?? (started && finished ? finished.getTime() - started.getTime() : null),
      attributes,
    },
  };
}

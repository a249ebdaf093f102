import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { errorReply } from "../../transcoding/rest-error.js";
import { Code, type ConnectError } from "@connectrpc/connect";
import { JobDocumentSchema, type AggregateJobsResponse } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { RejectionSchema } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import { messageToRestJson } from "../../transcoding/rest-json.js";
import { describeDecodeFailure } from "../../transcoding/offending-field.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import { normalizeAggs, normalizeQuery } from "./rest-normalize.js";
import { resultsJson } from "./rest-results.js";
import { isDateMath, resolveDateMath } from "../../platform/time/date-math.js";
import { esError } from "./es-error.js";
import { kPreRejected } from "./pre-rejected.js";

/** NDJSON (one job per line) or a JSON array of jobs. */
function parseJobs(raw: string): JsonValue {
  const text = raw.trim();
  if (text === "") return [];
  if (text.startsWith("[")) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch (e) {
      throw esError(`request body is not valid JSON: ${(e as Error).message}`);
    }
  }
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line) as JsonValue];
    } catch {
      throw esError(`line ${i + 1} of the NDJSON body is not valid JSON`);
    }
  });
}

/** The jobs API's REST shape: the seed's envelopes, Elasticsearch's errors, NDJSON ingest. */
export const jobsRest: RestShape = {
  describe(route) {
    const error = obj({ status_code: { type: "integer" }, detail: { type: "string" } });
    if (route.method.name !== "AggregateJobs") return { error };
    return { ok: obj({ data: obj({ total: { type: "integer" }, aggregations: { type: "object" } }) }), error };
  },
  parseBody(raw, ctx) {
    if (ctx.route.method.name === "IngestJobs") return parseJobs(raw);
    if (raw.trim() === "") return {};
    try {
      return JSON.parse(raw) as JsonValue;
    } catch (e) {
      throw esError(`request body is not valid JSON: ${(e as Error).message}`);
    }
  },
  request(json: JsonObject, ctx: RestContext) {
    if (ctx.route.method.name === "IngestJobs") {
      const jobs = json.jobs;
      if (!Array.isArray(jobs)) throw esError("the body must be a JSON array of jobs, or NDJSON");
      const pre: { index: number; field: string; reason: string }[] = [];
      json.jobs = jobs.map((item, index) => {
        try {
          fromJson(JobDocumentSchema, item, { ignoreUnknownFields: false });
          return item;
        } catch {
          pre.push({ index, ...describeDecodeFailure(JobDocumentSchema, item) });
          return {};
        }
      });
      if (pre.length)
        ctx.values.set(
          kPreRejected,
          pre.map((r) => create(RejectionSchema, r as { index: number; field: string; reason: string })),
        );
      return;
    }
    for (const key of ["app_type", "appType", "domain"]) if (typeof json[key] === "string") json[key] = [json[key]];
    resolveTimeBounds(json);
    if (json.aggregations !== undefined) {
      if (json.aggs !== undefined) throw esError("Found two aggregation definitions: [aggs] and [aggregations]");
      json.aggs = json.aggregations;
      delete json.aggregations;
    }
    if (json.aggs !== undefined) json.aggs = normalizeAggs(json.aggs);
    if (json.query !== undefined) json.query = normalizeQuery(json.query);
  },
  response(message, ctx) {
    if (ctx.route.method.name !== "AggregateJobs") {
      return {
        status: 200,
        body: messageToRestJson(ctx.route.method.output, message, { useProtoFieldName: true, emitDefaults: true }),
      };
    }
    const m = message as AggregateJobsResponse;
    return {
      status: 200,
      body: { data: { total: m.data?.total ?? 0n, aggregations: resultsJson(m.data?.aggregations ?? {}) } },
    };
  },
  error(err: ConnectError): RestReply {
    return errorReply(err, (status, detail) => ({ status_code: status, detail }), {
      internal: "Internal server error",
      byCode: {
        [Code.Unauthenticated]: {
          message: "Invalid or missing access token",
          headers: { "www-authenticate": 'Bearer error="invalid_token"' },
        },
      },
    });
  },
};

/**
 * `start_time`/`end_time` may be date math in Elasticsearch's syntax (`now-7d/d`): resolved here to
 * RFC 3339 against one `now`, rounding down for the start and up for the (inclusive) end, in UTC.
 */
function resolveTimeBounds(json: JsonObject): void {
  const now = Date.now();
  for (const [keys, roundUp] of [
    [["start_time", "startTime"], false],
    [["end_time", "endTime"], true],
  ] as const) {
    for (const key of keys) {
      const v = json[key];
      if (typeof v !== "string" || !isDateMath(v)) continue;
      const ms = resolveDateMath(v, { now, roundUp });
      if (ms === undefined)
        throw esError(
          `failed to parse date field [${v.slice(0, 256)}] with format [strict_date_optional_time||epoch_millis] for [${key}]`,
        );
      json[key] = new Date(ms).toISOString();
    }
  }
}

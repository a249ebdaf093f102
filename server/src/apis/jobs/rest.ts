import { create, fromJson, type JsonObject, type JsonValue, toJson } from "@bufbuild/protobuf";
import { errorReply } from "../../transcoding/rest-error.js";
import { Code, type ConnectError } from "@connectrpc/connect";
import {
  JobDocumentSchema,
  type AggregateJobsResponse,
  type AggregationResult,
  type Bucket,
  type ExtendedStatsResult,
} from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { RejectionSchema } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import { describeDecodeFailure } from "../../transcoding/offending-field.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import { fmt } from "./agg-tree.js";
import { isDateMath, resolveDateMath } from "../../platform/time/date-math.js";
import { esError } from "./es-error.js";
import { kPreRejected } from "./pre-rejected.js";

const aggTypes = new Set([
  "terms",
  "date_histogram",
  "histogram",
  "range",
  "filter",
  "filters",
  "missing",
  "avg",
  "sum",
  "min",
  "max",
  "stats",
  "value_count",
  "cardinality",
  "percentiles",
  "extended_stats",
  "avg_bucket",
  "sum_bucket",
  "min_bucket",
  "max_bucket",
  "stats_bucket",
  "extended_stats_bucket",
  "percentiles_bucket",
  "derivative",
  "cumulative_sum",
  "serial_diff",
  "moving_fn",
  "bucket_sort",
  "composite",
  "top_hits",
  "weighted_avg",
  "percentile_ranks",
  "top_metrics",
  "date_range",
  "rare_terms",
  "multi_terms",
  "auto_date_histogram",
  "median_absolute_deviation",
]);

/** Elasticsearch aggregations that run scripts: refused, as every script is. */
const scripted = new Set(["bucket_script", "bucket_selector", "scripted_metric"]);

/** Elasticsearch aggregations Tally knows and does not serve, with the reason given to the caller. */
const unsupported: Readonly<Record<string, string>> = {
  significant_terms:
    "its significance scores need the background term statistics of an Elasticsearch index, which Tally cannot reproduce honestly",
  significant_text: "Tally keeps no analyzed text",
};

/**
 * Checks the raw `aggs` object the way Elasticsearch parses it, so REST clients get its messages
 * (unknown type, two types, missing definition) before protobuf decoding; also accepts the
 * `aggregations` alias, `meta`, and `{"term": {"f": {"value": v}}}`.
 */
export function normalizeAggs(aggs: JsonValue, path = "aggs"): JsonObject {
  if (aggs === null || typeof aggs !== "object" || Array.isArray(aggs))
    throw esError(`[${path}] must be an object of named aggregations`);
  const out: JsonObject = {};
  for (const [name, def] of Object.entries(aggs)) {
    if (def === null || typeof def !== "object" || Array.isArray(def))
      throw esError(
        `Expected [START_OBJECT] under [${name}], but got a [${def === null ? "VALUE_NULL" : Array.isArray(def) ? "START_ARRAY" : "VALUE"}] in [${name}]`,
      );
    const agg: JsonObject = {};
    let type: string | undefined;
    for (const [k, v] of Object.entries(def)) {
      if (k === "aggs" || k === "aggregations") {
        if ("aggs" in agg) throw esError(`Found two sub aggregation definitions under [${name}]`);
        agg.aggs = normalizeAggs(v, `${name}.${k}`);
      } else if (k === "meta") {
      } else if (aggTypes.has(k)) {
        if (type) throw esError(`Found two aggregation type definitions in [${name}]: [${type}] and [${k}]`);
        type = k;
        agg[k] = normalizeAgg(k, v, name);
      } else if (scripted.has(k)) {
        throw esError(`[${k}] aggregation [${name}] is not supported: Tally runs no scripts`);
      } else if (Object.hasOwn(unsupported, k)) {
        throw esError(`[${k}] aggregation [${name}] is not supported: ${unsupported[k]}`);
      } else {
        throw esError(`Unknown aggregation type [${k}]`);
      }
    }
    if (!type) throw esError(`Missing definition for aggregation [${name}]`);
    out[name] = agg;
  }
  return out;
}

/** One aggregation's body, from Elasticsearch's accepted spellings to the contract's. */
function normalizeAgg(type: string, v: JsonValue, name: string): JsonValue {
  switch (type) {
    case "filter":
      return normalizeQuery(v);
    case "filters":
      return normalizeFilters(v, name);
    case "terms":
    case "multi_terms":
    case "histogram":
    case "date_histogram":
      return normalizeTerms(v, name);
    case "bucket_sort":
      return normalizeBucketSort(v, name);
    case "moving_fn":
      return normalizeMovingFn(v, name);
    case "composite":
      return normalizeComposite(v, name);
    case "top_hits":
      return normalizeTopHits(v, name);
    case "top_metrics":
      return isObject(v)
        ? {
            ...v,
            metrics: v.metrics === undefined ? [] : Array.isArray(v.metrics) ? v.metrics : [v.metrics],
            sort: v.sort === undefined ? [] : sortList(v.sort, "top_metrics", name),
          }
        : v;
    default:
      return v;
  }
}

/** `sort` in bucket_sort and top_hits. */
function normalizeBucketSort(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v.sort === undefined) return v;
  return { ...v, sort: sortList(v.sort, "bucket_sort", name) };
}

/**
 * `_source` (false, a field, a list, or `{includes, excludes}`) and `sort` as Elasticsearch takes them;
 * `script_fields` refused (no script runs).
 */
function normalizeTopHits(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const { _source, sort, script_fields, ...rest } = v;
  if (script_fields !== undefined)
    throw esError(`[top_hits] aggregation [${name}]: script_fields are not supported: Tally runs no scripts`);
  const out: JsonObject = { ...rest };
  if (sort !== undefined) out.sort = sortList(sort, "top_hits", name);
  if (_source === false) out.source_disabled = true;
  else if (typeof _source === "string") out.source_includes = [_source];
  else if (Array.isArray(_source)) out.source_includes = _source;
  else if (_source !== null && typeof _source === "object") {
    const list = (x: JsonValue | undefined) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
    out.source_includes = list(_source.includes);
    out.source_excludes = list(_source.excludes);
  }
  return out;
}

/** A path, `{path: "asc"|"desc"}`, `{path: {"order": …}}`, or a list of those (ascending by default). */
function sortList(value: JsonValue, type: string, name: string): JsonValue[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((o) => {
    if (typeof o === "string") return { path: o, desc: false };
    const entries = o !== null && typeof o === "object" && !Array.isArray(o) ? Object.entries(o) : [];
    const [path, spec] = entries[0] ?? [];
    const dir =
      typeof spec === "string"
        ? spec
        : spec && typeof spec === "object" && !Array.isArray(spec) && typeof spec.order === "string"
          ? spec.order
          : undefined;
    if (entries.length !== 1 || !dir || !["asc", "desc"].includes(dir.toLowerCase()))
      throw esError(`[${type}] aggregation [${name}]: unknown sort [${JSON.stringify(o).slice(0, 200)}]`);
    return { path: path!, desc: dir.toLowerCase() === "desc" };
  });
}

/**
 * Composite sources as Elasticsearch writes them, `[{"<name>": {"terms": {"field": …, "order": "desc"}}}]`,
 * into the contract's `{name, terms, order, missing_bucket}` (order and missing_bucket sit in the source).
 */
function normalizeComposite(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v) || !Array.isArray(v.sources)) return v;
  const sources = v.sources.map((src) => {
    const entries = src !== null && typeof src === "object" && !Array.isArray(src) ? Object.entries(src) : [];
    const [sourceName, def] = entries[0] ?? [];
    const kinds = def !== null && typeof def === "object" && !Array.isArray(def) ? Object.entries(def) : [];
    const [kind, body] = kinds[0] ?? [];
    if (entries.length !== 1 || kinds.length !== 1 || body === null || typeof body !== "object" || Array.isArray(body))
      throw esError(
        `[composite] aggregation [${name}]: each source is {"<name>": {"terms"|"histogram"|"date_histogram": {…}}}`,
      );
    const { order, missing_bucket, missing_order: _mo, ...rest } = body;
    return { name: sourceName!, [kind!]: rest, order: order ?? "", missing_bucket: missing_bucket ?? false };
  });
  return { ...v, sources };
}

/** `script` as a string or `{"source": …}`; script params are refused (no script runs). */
function normalizeMovingFn(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const script = v.script;
  if (script === null || typeof script !== "object" || Array.isArray(script)) return v;
  if (script.params !== undefined || typeof script.source !== "string")
    throw esError(`[moving_fn] aggregation [${name}]: script params are not supported; write numbers in the call`);
  return { ...v, script: script.source };
}

/**
 * Terms as Elasticsearch takes them: `order` is `{"<path>": "asc"|"desc"}` or an array of those
 * (becoming the contract's list of `{path, desc}`).
 */
function normalizeTerms(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v.order === undefined) return v;
  const list = Array.isArray(v.order) ? v.order : [v.order];
  const order = list.map((o) => {
    const entries = o !== null && typeof o === "object" && !Array.isArray(o) ? Object.entries(o) : [];
    const [path, dir] = entries[0] ?? [];
    if (entries.length !== 1 || typeof dir !== "string" || !["asc", "desc"].includes(dir.toLowerCase()))
      throw esError(`Unknown order direction [${JSON.stringify(o)}] in [${name}]: use {"<path>": "asc"|"desc"}`);
    return { path: path!, desc: dir.toLowerCase() === "desc" };
  });
  return { ...v, order };
}

function normalizeFilters(v: JsonValue, name: string): JsonValue {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw esError(`[filters] must be an object in [${name}]`);
  const filters = (v as JsonObject).filters;
  if (filters && typeof filters === "object" && !Array.isArray(filters)) {
    return { ...v, filters: Object.fromEntries(Object.entries(filters).map(([k, q]) => [k, normalizeQuery(q)])) };
  }
  return v;
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Each field's value of a `{field: value}` clause, through `f` (other shapes are left to decoding). */
function perField(v: JsonValue | undefined, f: (x: JsonValue) => JsonValue): JsonValue | undefined {
  return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)])) : v;
}

/**
 * Elasticsearch's long forms to the contract's: `{"term": {"f": {"value": v}}}` → `{"f": v}`, `match`'s
 * `{"query": v}` likewise, `prefix`/`wildcard` strings → `{"value": …}`; recursively through bool.
 */
export function normalizeQuery(q: JsonValue): JsonValue {
  if (q === null || typeof q !== "object" || Array.isArray(q)) return q;
  const out: JsonObject = { ...q };
  const unwrap = (key: string) => (x: JsonValue) => (isObject(x) && key in x ? x[key]! : x);
  if (out.term !== undefined) out.term = perField(out.term, unwrap("value"))!;
  if (out.match !== undefined) out.match = perField(out.match, unwrap("query"))!;
  for (const k of ["prefix", "wildcard"] as const) {
    if (out[k] === undefined) continue;
    out[k] = perField(out[k], (x) => {
      if (typeof x === "string") return { value: x };
      if (!isObject(x)) return x;
      // Elasticsearch also accepts `wildcard` for the pattern's key; `rewrite`/`boost` change nothing here.
      const { wildcard, rewrite: _r, boost: _b, ...rest } = x;
      return wildcard !== undefined && rest.value === undefined ? { ...rest, value: wildcard } : rest;
    })!;
  }
  if (out.bool && typeof out.bool === "object" && !Array.isArray(out.bool)) {
    const b: JsonObject = { ...out.bool };
    for (const k of ["must", "filter", "should", "must_not", "mustNot"]) {
      const v = b[k];
      if (v !== undefined) b[k] = (Array.isArray(v) ? v : [v]).map(normalizeQuery);
    }
    out.bool = b;
  }
  return out;
}

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

/** Typed results → Elasticsearch's JSON shapes. */
export function resultsJson(results: Readonly<Record<string, AggregationResult>>): Record<string, RestJson> {
  const out: Record<string, RestJson> = {};
  for (const [name, r] of Object.entries(results)) out[name] = resultJson(r);
  return out;
}

function resultJson(r: AggregationResult): RestJson {
  const v = r.result;
  switch (v.case) {
    case "buckets": {
      const buckets = v.value.buckets.map(bucketJson);
      const head: Record<string, RestJson> =
        v.value.sumOtherDocCount !== undefined
          ? {
              doc_count_error_upper_bound: v.value.docCountErrorUpperBound ?? 0n,
              sum_other_doc_count: v.value.sumOtherDocCount,
            }
          : {};
      if (v.value.afterKey) head.after_key = toJson(ValueSchema, v.value.afterKey) as RestJson;
      if (v.value.interval) return { ...head, buckets, interval: v.value.interval };
      if (!v.value.keyed) return { ...head, buckets };
      const keyed: Record<string, RestJson> = {};
      // Histograms (numeric keys) are keyed by key_as_string (or the key as a double) and keep their
      // key inside; range and filters buckets are keyed by their key alone, as Elasticsearch prints them.
      v.value.buckets.forEach((b, i) => {
        const { key, ...rest } = buckets[i] as Record<string, RestJson>;
        if (typeof key === "number") keyed[b.keyAsString ?? fmt(key)] = buckets[i]!;
        else keyed[String(key ?? toJson(ValueSchema, b.key!))] = rest;
      });
      return { ...head, buckets: keyed };
    }
    case "single":
      return { doc_count: v.value.docCount, ...resultsJson(v.value.aggregations) };
    case "value":
      return v.value.normalizedValue !== undefined
        ? { value: v.value.value ?? null, normalized_value: v.value.normalizedValue }
        : { value: v.value.value ?? null };
    case "stats":
      return {
        count: v.value.count,
        min: v.value.min ?? null,
        max: v.value.max ?? null,
        avg: v.value.avg ?? null,
        sum: v.value.sum,
      };
    case "percentiles":
      if (v.value.asList) return { values: v.value.values.map((p) => ({ key: p.percent, value: p.value ?? null })) };
      return { values: Object.fromEntries(v.value.values.map((p) => [fmt(p.percent), p.value ?? null])) };
    case "bucketValue":
      return { value: v.value.value ?? null, keys: v.value.keys };
    case "extendedStats":
      return extendedStatsJson(v.value);
    case "topMetrics":
      return {
        top: v.value.top.map((t) => ({
          sort: t.sort.map((x) => toJson(ValueSchema, x) as RestJson),
          metrics: (t.metrics ?? {}) as RestJson,
        })),
      };
    case "topHits":
      return {
        hits: {
          total: { value: v.value.total, relation: "eq" },
          max_score: null,
          hits: v.value.hits.map((h) => ({
            _index: "jobs",
            _id: h.id,
            _score: null,
            ...(h.source ? { _source: h.source as RestJson } : {}),
            ...(h.sort.length ? { sort: h.sort.map((x) => toJson(ValueSchema, x) as RestJson) } : {}),
          })),
        },
      };
    default:
      return null;
  }
}

/** Elasticsearch's extended_stats object (no value: null). */
function extendedStatsJson(e: ExtendedStatsResult): RestJson {
  const n = (x: number | undefined) => x ?? null;
  const b = e.stdDeviationBounds;
  return {
    count: e.count,
    min: n(e.min),
    max: n(e.max),
    avg: n(e.avg),
    sum: e.sum,
    sum_of_squares: n(e.sumOfSquares),
    variance: n(e.variance),
    variance_population: n(e.variancePopulation),
    variance_sampling: n(e.varianceSampling),
    std_deviation: n(e.stdDeviation),
    std_deviation_population: n(e.stdDeviationPopulation),
    std_deviation_sampling: n(e.stdDeviationSampling),
    std_deviation_bounds: {
      upper: n(b?.upper),
      lower: n(b?.lower),
      upper_population: n(b?.upperPopulation),
      lower_population: n(b?.lowerPopulation),
      upper_sampling: n(b?.upperSampling),
      lower_sampling: n(b?.lowerSampling),
    },
  };
}

function bucketJson(b: Bucket): RestJson {
  return {
    ...(b.keyAsString !== undefined ? { key_as_string: b.keyAsString } : {}),
    key: b.key ? (toJson(ValueSchema, b.key) as RestJson) : null,
    ...(b.from !== undefined ? { from: b.from } : {}),
    ...(b.fromAsString !== undefined ? { from_as_string: b.fromAsString } : {}),
    ...(b.to !== undefined ? { to: b.to } : {}),
    ...(b.toAsString !== undefined ? { to_as_string: b.toAsString } : {}),
    doc_count: b.docCount,
    ...resultsJson(b.aggregations),
  };
}

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

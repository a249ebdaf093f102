import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { esError } from "./es-error.js";

/** Elasticsearch's JSON spellings of aggregations and queries, into the contract's proto JSON. */

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
    // A sort criterion's direction may also sit in `{"order": …}`.
    const parsed = orderEntry(o, (spec) => (isObject(spec) ? spec.order : spec));
    if (!parsed) throw esError(`[${type}] aggregation [${name}]: unknown sort [${JSON.stringify(o).slice(0, 200)}]`);
    return parsed;
  });
}

/**
 * `{"<path>": <direction>}` as `{path, desc}`, the direction read from the entry's value by
 * `direction`; undefined unless there is exactly one entry and it says asc or desc (any case).
 */
function orderEntry(
  o: JsonValue,
  direction: (spec: JsonValue | undefined) => JsonValue | undefined,
): { path: string; desc: boolean } | undefined {
  const entries = isObject(o) ? Object.entries(o) : [];
  const dir = direction(entries[0]?.[1]);
  if (entries.length !== 1 || typeof dir !== "string" || !["asc", "desc"].includes(dir.toLowerCase())) return undefined;
  return { path: entries[0]![0], desc: dir.toLowerCase() === "desc" };
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
    const parsed = orderEntry(o, (spec) => spec);
    if (!parsed)
      throw esError(`Unknown order direction [${JSON.stringify(o)}] in [${name}]: use {"<path>": "asc"|"desc"}`);
    return parsed;
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

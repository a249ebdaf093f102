import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import type { AggregateJobsRequest, Aggregation, Query } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { type DateMathOptions, isDateMath, resolveDateMath } from "../../platform/time/date-math.js";
import { isTimeZone } from "../../platform/time/timezone.js";
import { esError } from "./es-error.js";
import { resolveField, type FieldInfo } from "./fields.js";

type Expr = Record<string, unknown> | boolean;

const MAX_DEPTH = 16;
const queryError = (message: string) => esError(message, "query");
/** How much query one request may carry (JOBS_MAX_TERMS_COUNT, JOBS_MAX_CLAUSE_COUNT). */
export interface QueryLimits {
  /** Elasticsearch's `index.max_terms_count` (default 65,536): values one `terms` query may list. */
  readonly maxTermsCount: number;
  /** Elasticsearch's `indices.query.bool.max_clause_count` floor (default 1,024): clauses in one request. */
  readonly maxClauseCount: number;
}

/** Elasticsearch's defaults: 65,536 terms per `terms` query, 1,024 boolean clauses. */
export const defaultQueryLimits: QueryLimits = { maxTermsCount: 65_536, maxClauseCount: 1024 };

/**
 * Counts the request's leaf query clauses (in `query` and in every `filter`/`filters` aggregation)
 * and the values of each `terms` query, and refuses, with Elasticsearch's messages, a request over
 * either limit before anything is compiled or run.
 */
export function assertQueryBudget(req: AggregateJobsRequest, limits: QueryLimits = defaultQueryLimits): void {
  const { maxTermsCount: MAX_TERMS_COUNT, maxClauseCount: MAX_CLAUSE_COUNT } = limits;
  let clauses = 0;
  const query = (q: Query, depth: number): void => {
    if (depth > MAX_DEPTH) return; // compileQuery refuses it with its own message
    for (const list of Object.values(q.terms)) {
      const n = list.values?.length ?? 0;
      if (n > MAX_TERMS_COUNT) {
        throw queryError(
          `The number of terms [${n}] used in the Terms Query request has exceeded the allowed maximum of [${MAX_TERMS_COUNT}]. This maximum can be set by changing the [index.max_terms_count] index level setting.`,
        );
      }
    }
    // Every query node counts at least once (an empty bool too), each field of term/terms/range once.
    clauses += Math.max(
      1,
      Object.keys(q.term).length +
        Object.keys(q.terms).length +
        Object.keys(q.range).length +
        (q.exists ? 1 : 0) +
        (q.matchAll ? 1 : 0) +
        Object.keys(q.prefix).length +
        Object.keys(q.wildcard).length +
        Object.keys(q.match).length +
        (q.ids ? 1 : 0),
    );
    if ((q.ids?.values.length ?? 0) > MAX_TERMS_COUNT)
      throw queryError(`[ids] query lists more than ${MAX_TERMS_COUNT} ids`);
    if (clauses > MAX_CLAUSE_COUNT)
      throw queryError(`Query contains too many nested clauses; maxClauseCount is set to ${MAX_CLAUSE_COUNT}`);
    if (q.bool)
      for (const x of [...q.bool.must, ...q.bool.filter, ...q.bool.should, ...q.bool.mustNot]) query(x, depth + 1);
  };
  const aggs = (map: Readonly<Record<string, Aggregation>>, depth: number): void => {
    if (depth > 16) return; // buildAggTree refuses it with its own message
    for (const a of Object.values(map)) {
      if (a.kind.case === "filter") query(a.kind.value, 0);
      if (a.kind.case === "filters") for (const q of Object.values(a.kind.value.filters)) query(q, 0);
      aggs(a.aggs, depth + 1);
    }
  };
  if (req.query) query(req.query, 0);
  aggs(req.aggs, 0);
}

/**
 * Compiles an Elasticsearch query clause (term, terms, range, bool, exists, match_all) into a MongoDB
 * aggregation expression that is true for matching jobs. Fields pass the allowlist; values are
 * wrapped in `$literal`, so a value such as "$where" or "$$ROOT" stays a plain string.
 */
// Over 60 lines on purpose: one branch per query clause, so the query DSL served reads as one list.
export function compileQuery(q: Query, depth = 0): Expr {
  if (depth > MAX_DEPTH) throw queryError(`[bool] query nested deeper than ${MAX_DEPTH} levels`);
  const clauses: Expr[] = [];
  const kinds = [
    Object.keys(q.term).length > 0,
    Object.keys(q.terms).length > 0,
    Object.keys(q.range).length > 0,
    q.bool !== undefined,
    q.exists !== undefined,
    q.matchAll !== undefined,
    Object.keys(q.prefix).length > 0,
    Object.keys(q.wildcard).length > 0,
    q.ids !== undefined,
    Object.keys(q.match).length > 0,
  ].filter(Boolean).length;
  if (kinds === 0) throw queryError("query malformed, empty clause found");
  if (kinds > 1)
    throw queryError(
      "[query] malformed query, expected [END_OBJECT] but found [FIELD_NAME]: a query clause holds exactly one query type",
    );
  // Every job field is a keyword: a match query analyzes its text to the one term, as `term` does.
  for (const [name, value] of [...Object.entries(q.term), ...Object.entries(q.match)]) {
    const f = resolveField(name);
    clauses.push(eq(f, termValue(f, json(value), name)));
  }
  for (const [name, c] of Object.entries(q.prefix)) clauses.push(patternMatch(name, c, "prefix"));
  for (const [name, c] of Object.entries(q.wildcard)) clauses.push(patternMatch(name, c, "wildcard"));
  if (q.ids) clauses.push({ $in: ["$job.id", { $literal: [...q.ids.values] }] });
  for (const [name, list] of Object.entries(q.terms)) {
    const f = resolveField(name);
    const values = (list.values ?? []).map((v) => termValue(f, json(v), name));
    clauses.push({ $in: [{ $ifNull: [`$${f.path}`, null] }, { $literal: values }] });
  }
  for (const [name, cond] of Object.entries(q.range)) {
    const f = resolveField(name);
    const field = { $ifNull: [`$${f.path}`, null] };
    const parts: Expr[] = [{ $ne: [field, null] }];
    if (cond.timeZone && !isTimeZone(cond.timeZone))
      throw queryError(`Unknown time-zone ID: ${cond.timeZone.slice(0, 64)}`);
    const now = Date.now();
    // Elasticsearch rounds date math up for gt and lte, down for gte and lt.
    const add = (op: string, v: JsonValue | undefined) => {
      if (v === undefined || v === null) return;
      const math = { now, roundUp: op === "$gt" || op === "$lte", timeZone: cond.timeZone || undefined };
      parts.push({ [op]: [field, { $literal: rangeValue(f, v, name, math) }] });
    };
    add("$gt", json(cond.gt));
    add("$gte", json(cond.gte));
    add("$lt", json(cond.lt));
    add("$lte", json(cond.lte));
    if (parts.length === 1) throw queryError(`[range] query for [${name}] needs one of [gt, gte, lt, lte]`);
    clauses.push({ $and: parts });
  }
  if (q.exists) {
    const f = resolveField(q.exists.field);
    clauses.push({ $ne: [{ $ifNull: [`$${f.path}`, null] }, null] });
  }
  if (q.matchAll) clauses.push(true);
  if (q.bool) {
    const b = q.bool;
    const all = [...b.must, ...b.filter].map((x) => compileQuery(x, depth + 1));
    const need = minimumShouldMatch(b.minimumShouldMatch, b.should.length, all.length > 0);
    if (need > b.should.length) all.push(false);
    else if (need === 1 && b.should.length) all.push({ $or: b.should.map((x) => compileQuery(x, depth + 1)) });
    else if (need > 1)
      all.push({ $gte: [{ $add: b.should.map((x) => ({ $cond: [compileQuery(x, depth + 1), 1, 0] })) }, need] });
    for (const x of b.mustNot) all.push({ $not: [compileQuery(x, depth + 1)] });
    clauses.push(all.length === 0 ? true : all.length === 1 ? all[0]! : { $and: all });
  }
  return clauses.length === 1 ? clauses[0]! : { $and: clauses };
}

/** A google.protobuf.Value (or a value already JSON) as JSON. */
export function json(v: Value | JsonValue | undefined): JsonValue | undefined {
  if (v === undefined) return undefined;
  return typeof v === "object" && v !== null && "$typeName" in v ? toJson(ValueSchema, v as Value) : (v as JsonValue);
}

function eq(f: FieldInfo, v: unknown): Expr {
  return { $eq: [{ $ifNull: [`$${f.path}`, null] }, { $literal: v }] };
}

function termValue(f: FieldInfo, v: JsonValue | undefined, name: string): unknown {
  if (v === null || v === undefined || typeof v === "object")
    throw queryError(`[term] query on [${name}] needs a string, number or boolean value`);
  if (f.type === "date") return dateValue(v, name);
  if (f.type === "boolean") return v === true || v === "true";
  if (f.type === "number") {
    const n = Number(v);
    if (!Number.isFinite(n))
      throw queryError(`failed to create query: For input string: "${String(v)}" on field [${name}]`);
    return n;
  }
  return v;
}

function rangeValue(f: FieldInfo, v: JsonValue, name: string, math: DateMathOptions): unknown {
  if (f.type === "date") return dateValue(v, name, math);
  if (typeof v === "number" || typeof v === "string") return f.type === "number" ? Number(v) : v;
  throw queryError(`[range] query on [${name}]: bounds must be numbers or strings`);
}

/**
 * Epoch milliseconds or an ISO-8601 date, as Elasticsearch's default date format accepts, or (with
 * `math`) date math such as `now-2d/d`.
 */
export function dateValue(v: unknown, name: string, math?: DateMathOptions): Date {
  if (math && typeof v === "string" && isDateMath(v)) {
    const ms = resolveDateMath(v, math);
    if (ms === undefined)
      throw queryError(
        `failed to parse date field [${v.slice(0, 256)}] with format [strict_date_optional_time||epoch_millis] for [${name}]`,
      );
    return new Date(ms);
  }
  const d =
    typeof v === "number"
      ? new Date(v)
      : typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v)
        ? new Date(v)
        : typeof v === "string" && /^\d+$/.test(v)
          ? new Date(Number(v))
          : undefined;
  if (!d || Number.isNaN(d.getTime()))
    throw queryError(
      `failed to parse date field [${String(v)}] with format [strict_date_optional_time||epoch_millis] for [${name}]`,
    );
  return d;
}

/**
 * How many `should` clauses must match (Elasticsearch's `minimum_should_match`): an integer, a
 * negative integer (all but that many), or a percentage of them (rounded down), possibly negative.
 * Default: 1 when the bool has only should clauses, else 0 (they then only score, which Tally does not).
 */
function minimumShouldMatch(v: Value | undefined, n: number, hasRequired: boolean): number {
  const raw = json(v);
  if (raw === undefined || raw === null) return hasRequired ? 0 : Math.min(1, n);
  const text = String(raw).trim();
  const m = /^(-?)(\d{1,9})(%?)$/.exec(text);
  if (!m) throw queryError(`[minimum_should_match] must be an integer or a percentage, got [${text.slice(0, 32)}]`);
  const k = m[3] ? Math.floor((n * Number(m[2])) / 100) : Number(m[2]);
  return Math.max(0, m[1] ? n - k : k);
}

/** At most this many `*` in one wildcard pattern: each can make a regular expression backtrack. */
const MAX_WILDCARD_STARS = 3;
const MAX_PATTERN = 256;

/**
 * `prefix` and `wildcard` on a keyword field as an anchored regular expression over its escaped
 * literal text (`*` → `.*`, `?` → `.`), on strings only: MongoDB's `$regexMatch` refuses other types.
 */
function patternMatch(name: string, c: { value: string; caseInsensitive: boolean }, kind: "prefix" | "wildcard"): Expr {
  const f = resolveField(name);
  if (f.type !== "keyword" && f.type !== "any")
    throw queryError(`[${kind}] query on [${name}]: only keyword fields can be matched by pattern`);
  if (c.value.length > MAX_PATTERN) throw queryError(`[${kind}] pattern on [${name}] is longer than ${MAX_PATTERN}`);
  const literal = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let regex: string;
  if (kind === "prefix") regex = `^${literal(c.value)}`;
  else {
    const collapsed = c.value.replace(/\*+/g, "*");
    if ((collapsed.match(/\*/g) ?? []).length > MAX_WILDCARD_STARS)
      throw queryError(
        `[wildcard] pattern on [${name}] has more than ${MAX_WILDCARD_STARS} '*' (each can make matching slow)`,
      );
    regex = `^${[...collapsed].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : literal(ch))).join("")}$`;
  }
  const field = `$${f.path}`;
  return {
    $cond: [
      { $eq: [{ $type: field }, "string"] },
      // The pattern always starts with "^": never read as a field path, so no $literal is needed.
      { $regexMatch: { input: field, regex, options: c.caseInsensitive ? "si" : "s" } },
      false,
    ],
  };
}

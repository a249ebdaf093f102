import type { Document } from "bson";
import { getPath, valueKey } from "./keys.js";

/**
 * The documents of a collection grouped by the values of some leading index fields, so a query that
 * pins those fields with equalities reads only its groups, as mongod's index scan would. Built on
 * first use and kept up to date by every write after that.
 *
 * A document whose value in one of the fields is an array (it matches any of its elements) or a
 * number type without a plain JS form (Long, Decimal128) is "loose": it is returned for every lookup,
 * and the query's own `$match` decides. Candidates are therefore always a superset of the matches.
 */
export class Partition {
  private readonly groups = new Map<string, Set<Document>>();
  private readonly loose = new Set<Document>();

  constructor(readonly fields: readonly string[]) {}

  add(doc: Document): void {
    const k = this.keyOf(doc);
    if (k === undefined) {
      this.loose.add(doc);
      return;
    }
    let g = this.groups.get(k);
    if (!g) this.groups.set(k, (g = new Set()));
    g.add(doc);
  }

  delete(doc: Document): void {
    const k = this.keyOf(doc);
    if (k === undefined) this.loose.delete(doc);
    else this.groups.get(k)?.delete(doc);
  }

  /** Documents whose fields may equal one of the value tuples (one value per field, in order). */
  lookup(tuples: readonly (readonly unknown[])[]): Document[] {
    const out: Document[] = [];
    const seen = new Set<string>();
    for (const t of tuples) {
      const k = t.map(valueKey).join("\u0000");
      if (seen.has(k)) continue;
      seen.add(k);
      const g = this.groups.get(k);
      if (g) for (const d of g) out.push(d);
    }
    for (const d of this.loose) out.push(d);
    return out;
  }

  private keyOf(doc: Document): string | undefined {
    let key = "";
    for (let i = 0; i < this.fields.length; i++) {
      const v = getPath(doc, this.fields[i]!);
      if (
        v !== null &&
        typeof v === "object" &&
        !(v instanceof Date) &&
        (v as { _bsontype?: string })._bsontype !== "ObjectId"
      )
        return undefined;
      key += i === 0 ? valueKey(v) : `\u0000${valueKey(v)}`;
    }
    return key;
  }
}

/**
 * The field equalities a pipeline's leading `$match` stages (or a find filter) impose: field → the
 * values it may equal (`{f: v}`, `{f: {$eq: v}}`, `{f: {$in: [...]}}`, inside `$and` too). Only plain
 * scalars count (strings, numbers, booleans, dates, ObjectIds, and null, which also matches a missing
 * field, keyed alike), whose equality is exact.
 */
export function leadingEqualities(filters: Iterable<Document>): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const visit = (filter: Document) => {
    for (const [field, cond] of Object.entries(filter)) {
      if (field === "$and" && Array.isArray(cond)) {
        for (const c of cond) if (c !== null && typeof c === "object") visit(c as Document);
        continue;
      }
      if (field.startsWith("$") || out.has(field)) continue;
      const values = equalityValues(cond);
      if (values) out.set(field, values);
    }
  };
  for (const f of filters) visit(f);
  return out;
}

function equalityValues(cond: unknown): unknown[] | undefined {
  // `null` pins a field too: it matches null or missing, which an index keys alike (as null).
  if (cond === null || isScalar(cond)) return [cond];
  if (typeof cond !== "object" || Array.isArray(cond) || cond instanceof RegExp) return undefined;
  const ops = cond as Document;
  if (ops.$eq === null || isScalar(ops.$eq)) return [ops.$eq];
  if (Array.isArray(ops.$in) && ops.$in.length > 0 && ops.$in.every((v) => v === null || isScalar(v)))
    return ops.$in as unknown[];
  return undefined;
}

function isScalar(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "object":
      return v instanceof Date || (v !== null && (v as { _bsontype?: string })._bsontype === "ObjectId");
    default:
      return false;
  }
}

import { type Document, EJSON, ObjectId } from "bson";

/**
 * A canonical string for a BSON value, so equal values (numbers of any width, dates, ObjectIds)
 * compare equal; plain objects and arrays are keyed recursively (the hot path of `$group` ids).
 */
export function valueKey(v: unknown): string {
  if (v === undefined || v === null) return "null";
  switch (typeof v) {
    case "number":
      return `n:${v}`;
    case "string":
      return `s:${v}`;
    case "boolean":
      return v ? "b:1" : "b:0";
    case "bigint":
      return `n:${v}`;
  }
  if (v instanceof Date) return `d:${v.getTime()}`;
  if (v instanceof ObjectId) return `o:${v.toHexString()}`;
  if (Array.isArray(v)) return `a:[${v.map(valueKey).join(",")}]`;
  if ((v as { _bsontype?: string })._bsontype === undefined) {
    let out = "{";
    for (const k in v as Record<string, unknown>)
      out += `${JSON.stringify(k)}:${valueKey((v as Record<string, unknown>)[k])},`;
    return `${out}}`;
  }
  return `x:${EJSON.stringify(v as Document, { relaxed: false })}`;
}

/** Reads a dotted path from a document; arrays are not traversed (Tally's indexes are on scalars). */
export function getPath(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = Object.hasOwn(cur, part) ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur;
}

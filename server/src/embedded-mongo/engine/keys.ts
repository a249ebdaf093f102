import { EJSON } from "bson";

/** A canonical string for a BSON value, so equal values (numbers of any width, dates, ObjectIds) compare equal. */
export function valueKey(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (typeof v === "number") return `n:${v}`;
  if (typeof v === "string") return `s:${v}`;
  if (typeof v === "boolean") return `b:${v}`;
  if (v instanceof Date) return `d:${v.getTime()}`;
  return `x:${EJSON.stringify(v as never, { relaxed: false })}`;
}

/** Reads a dotted path from a document; arrays are not traversed (Tally's indexes are on scalars). */
export function getPath(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

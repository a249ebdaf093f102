// Helpers the write and read commands share: document shapes, modifiers, index equalities.
import { BSON, ObjectId, type Document } from "bson";
import { type Modifier, update as applyUpdate } from "mingo/updater";
import { deepClone } from "../engine/clone.js";
import { isMatchStage } from "../engine/compile-pipeline.js";
import type { Store } from "../engine/database.js";
import { MongoCommandError, badValue } from "../engine/errors.js";
import { leadingEqualities } from "../engine/partition.js";
import { engineOptions, runPipeline } from "../engine/query.js";
/** MongoDB stores `_id` as the first field, generating one when absent. */
export function withIdFirst(doc: Document): Document {
  const keys = Object.keys(doc);
  if (keys[0] === "_id") {
    // Already first (the wire decoder places it there): fill in a missing one in place.
    if (doc._id === undefined) doc._id = new ObjectId();
    return doc;
  }
  const out: Document = { _id: doc._id === undefined ? new ObjectId() : doc._id };
  for (const k of keys) {
    if (k === "_id") continue;
    // A stored "__proto__" field is data, as in MongoDB; plain assignment would change the prototype.
    if (k === "__proto__")
      Object.defineProperty(out, k, { value: doc[k], enumerable: true, writable: true, configurable: true });
    else out[k] = doc[k];
  }
  return out;
}

/** A write error entry as MongoDB reports it, for item `index`. */
export function writeError(index: number, e: unknown): Document {
  if (e instanceof MongoCommandError) return { index, code: e.code, errmsg: e.message };
  return { index, code: 2, errmsg: e instanceof Error ? e.message : String(e) };
}

/** Applies an update (operators, replacement, or pipeline) to a copy of `doc`. */
export function applyModifier(
  doc: Document,
  u: unknown,
  arrayFilters: Document[] | undefined,
  inserting: boolean,
  store: Store,
  db: string,
): Document {
  const copy = deepClone(doc);
  if (Array.isArray(u)) return runPipeline([copy], u as Document[], engineOptions(store, db))[0] ?? copy;
  if (!u || typeof u !== "object") throw badValue("update must be an object or a pipeline");
  const keys = Object.keys(u);
  if (keys.length === 0 || !keys[0]!.startsWith("$")) {
    if (keys.some((k) => k.startsWith("$"))) throw badValue("cannot mix update operators and replacement fields");
    return { _id: doc._id, ...(deepClone(u) as Document) };
  }
  const mod: Document = {};
  for (const [op, spec] of Object.entries(u as Document)) {
    if (op === "$setOnInsert") {
      if (inserting) mod.$set = { ...(mod.$set ?? {}), ...(spec as Document) };
    } else if (op === "$set") {
      mod.$set = { ...(mod.$set ?? {}), ...(spec as Document) };
    } else mod[op] = spec;
  }
  if (Object.keys(mod).length)
    applyUpdate(copy, mod as Modifier<Document>, arrayFilters, undefined, { cloneMode: "none" });
  return copy;
}

/** The document an upsert starts from: the equality conditions of its query. */
export function seedFromQuery(q: Document): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(q)) {
    if (k.startsWith("$")) continue;
    if (
      v &&
      typeof v === "object" &&
      !(v instanceof Date) &&
      v.constructor === Object &&
      Object.keys(v).some((x) => x.startsWith("$"))
    ) {
      if ("$eq" in v) setDotted(out, k, (v as Document).$eq);
      continue;
    }
    setDotted(out, k, deepClone(v));
  }
  return out;
}

/** Sets a dotted path, creating objects on the way. */
export function setDotted(doc: Document, path: string, v: unknown): void {
  const parts = path.split(".");
  let cur: Document = doc;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Document;
  cur[parts.at(-1)!] = v;
}

/** Reads a dotted path; anything but an object on the way ends it as missing. */
export function getDotted(doc: Document, path: string): unknown {
  let cur: unknown = doc;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Document)[p];
  }
  return cur;
}

/** Whether two documents are byte-for-byte the same BSON. */
export function sameDoc(a: Document, b: Document): boolean {
  return Buffer.compare(BSON.serialize(a), BSON.serialize(b)) === 0;
}

/** The equalities a find/update/delete filter imposes (what an index could serve). */
export function filterEqualities(filter: unknown): Map<string, unknown[]> {
  return leadingEqualities(isDoc(filter) ? [filter] : []);
}

/** The `$match` stages a pipeline starts with (what an index could serve). */
export function leadingMatches(pipeline: readonly Document[]): Document[] {
  const out: Document[] = [];
  for (const stage of pipeline) {
    if (!isDoc(stage) || !isMatchStage(stage)) break;
    out.push(stage.$match);
  }
  return out;
}

/** A plain document (not an array, date or BSON value). */
export function isDoc(v: unknown): v is Document {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

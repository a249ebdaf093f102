import type { Document } from "bson";
import { MongoCommandError, badValue } from "./errors.js";
import { getPath, valueKey } from "./keys.js";
import { Partition } from "./partition.js";

/** An index as created: name, key, unique, partial filter. */
export interface IndexSpec {
  readonly name: string;
  readonly key: Document;
  readonly unique: boolean;
  readonly partialFilterExpression?: Document;
}

/**
 * One collection: documents in insertion order keyed by `_id`, plus index definitions. Unique indexes
 * are enforced with a key → `_id` map each. Queries that pin an index's leading fields with
 * equalities read through a Partition on those fields (see `scan`); range and sort parts of an index
 * are not used.
 */
export class Collection {
  /** `_id` key → document. A Map keeps insertion order, like a natural-order scan. */
  readonly docs = new Map<string, Document>();
  readonly indexes: IndexSpec[] = [{ name: "_id_", key: { _id: 1 }, unique: true }];
  private readonly uniqueMaps = new Map<string, Map<string, string>>();
  /** Partitions built so far, by their fields joined with NUL; maintained by every write. */
  private readonly partitions = new Map<string, Partition>();

  constructor(readonly name: string) {}

  /** The values array for aggregation and queries (a snapshot; later writes do not change it). */
  snapshot(): Document[] {
    return [...this.docs.values()];
  }

  get(idKey: string): Document | undefined {
    return this.docs.get(idKey);
  }

  /** Inserts a new document; throws 11000 on a duplicate `_id` or unique key. */
  insert(doc: Document): void {
    const id = valueKey(doc._id);
    if (this.docs.has(id)) throw duplicate(this.name, "_id_", { _id: doc._id });
    // Each unique key is computed once: checked against every index first, then recorded.
    const keys: [Map<string, string> | undefined, string][] = [];
    for (const spec of this.indexes) {
      if (!spec.unique || spec.name === "_id_") continue;
      const k = uniqueKey(spec, doc);
      if (k === undefined) continue;
      const map = this.uniqueMaps.get(spec.name);
      if (map?.has(k)) throw duplicate(this.name, spec.name, keyDoc(spec, doc));
      keys.push([map, k]);
    }
    this.docs.set(id, doc);
    for (const [map, k] of keys) map?.set(k, id);
    for (const p of this.partitions.values()) p.add(doc);
  }

  /** Replaces the document with the same `_id` (which must exist). */
  replace(idKey: string, next: Document): void {
    const prev = this.docs.get(idKey);
    if (!prev) throw badValue("replace of a missing document");
    if (valueKey(next._id) !== idKey) {
      throw new MongoCommandError(
        66,
        "ImmutableField",
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    this.checkUnique(next, idKey);
    this.unindexUnique(prev);
    this.docs.set(idKey, next);
    this.indexUnique(next, idKey);
    for (const p of this.partitions.values()) {
      p.delete(prev);
      p.add(next);
    }
  }

  remove(idKey: string): void {
    const prev = this.docs.get(idKey);
    if (!prev) return;
    this.unindexUnique(prev);
    this.docs.delete(idKey);
    for (const p of this.partitions.values()) p.delete(prev);
  }

  /**
   * The documents a query may match, given the equalities its filter imposes (see
   * `leadingEqualities`), through the index with the longest leading run of pinned fields, as
   * mongod's planner would pick it: a unique index pinned whole answers from its key map (at most one
   * document per value combination); a leading run of any index reads a Partition on those fields;
   * otherwise every document. Always a superset; callers apply the filter.
   */
  scan(equalities: ReadonlyMap<string, readonly unknown[]>): Document[] {
    let best: { spec: IndexSpec; fields: string[] } | undefined;
    for (const spec of this.indexes) {
      if (spec.partialFilterExpression) continue;
      const fields: string[] = [];
      for (const f of Object.keys(spec.key)) {
        if (!equalities.has(f) || f.includes(".")) break;
        fields.push(f);
      }
      if (fields.length > (best?.fields.length ?? 0)) best = { spec, fields };
    }
    if (!best) return this.snapshot();
    let tuples: unknown[][] = [[]];
    for (const f of best.fields) {
      tuples = tuples.flatMap((t) => equalities.get(f)!.map((v) => [...t, v]));
      if (tuples.length > MAX_LOOKUPS) return this.snapshot();
    }
    if (best.spec.unique && best.fields.length === Object.keys(best.spec.key).length)
      return this.uniqueLookup(best.spec, tuples);
    const key = best.fields.join("\u0000");
    let p = this.partitions.get(key);
    if (!p) {
      p = new Partition(best.fields);
      for (const d of this.docs.values()) p.add(d);
      this.partitions.set(key, p);
    }
    return p.lookup(tuples);
  }

  /** The documents of `tuples` (whole unique keys), each once. */
  private uniqueLookup(spec: IndexSpec, tuples: readonly (readonly unknown[])[]): Document[] {
    const ids = new Set<string>();
    for (const t of tuples) {
      const parts = t.map(valueKey);
      const id = spec.name === "_id_" ? parts[0] : this.uniqueMaps.get(spec.name)?.get(parts.join("\u0000"));
      if (id !== undefined) ids.add(id);
    }
    const out: Document[] = [];
    for (const id of ids) {
      const doc = this.docs.get(id);
      if (doc) out.push(doc);
    }
    return out;
  }

  addIndex(spec: IndexSpec): boolean {
    const existing = this.indexes.find((i) => i.name === spec.name);
    if (existing) {
      if (JSON.stringify(existing.key) !== JSON.stringify(spec.key) || existing.unique !== spec.unique) {
        throw new MongoCommandError(
          86,
          "IndexKeySpecsConflict",
          `An existing index has the same name as the requested index: ${spec.name}`,
        );
      }
      return false;
    }
    if (spec.unique) {
      const map = new Map<string, string>();
      for (const [id, doc] of this.docs) {
        const k = uniqueKey(spec, doc);
        if (k === undefined) continue;
        if (map.has(k)) throw duplicate(this.name, spec.name, keyDoc(spec, doc));
        map.set(k, id);
      }
      this.uniqueMaps.set(spec.name, map);
    }
    this.indexes.push(spec);
    return true;
  }

  dropIndex(name: string): boolean {
    const i = this.indexes.findIndex((x) => x.name === name);
    if (i <= 0) return false;
    this.indexes.splice(i, 1);
    this.uniqueMaps.delete(name);
    return true;
  }

  private checkUnique(doc: Document, selfId: string | undefined): void {
    for (const spec of this.indexes) {
      if (!spec.unique || spec.name === "_id_") continue;
      const k = uniqueKey(spec, doc);
      if (k === undefined) continue;
      const owner = this.uniqueMaps.get(spec.name)?.get(k);
      if (owner !== undefined && owner !== selfId) throw duplicate(this.name, spec.name, keyDoc(spec, doc));
    }
  }

  private indexUnique(doc: Document, id: string): void {
    for (const spec of this.indexes) {
      if (!spec.unique || spec.name === "_id_") continue;
      const k = uniqueKey(spec, doc);
      if (k !== undefined) this.uniqueMaps.get(spec.name)?.set(k, id);
    }
  }

  private unindexUnique(doc: Document): void {
    for (const spec of this.indexes) {
      if (!spec.unique || spec.name === "_id_") continue;
      const k = uniqueKey(spec, doc);
      if (k !== undefined) this.uniqueMaps.get(spec.name)?.delete(k);
    }
  }
}

/** Beyond this many value combinations (`$in` × `$in` …) a full scan is cheaper. */
const MAX_LOOKUPS = 256;

const fieldPaths = new WeakMap<IndexSpec, string[][]>();

function uniqueKey(spec: IndexSpec, doc: Document): string | undefined {
  let paths = fieldPaths.get(spec);
  if (!paths) {
    paths = Object.keys(spec.key).map((f) => f.split("."));
    fieldPaths.set(spec, paths);
  }
  // Partial unique indexes only cover documents having every key field (enough for Tally's use).
  let out = "";
  for (let i = 0; i < paths.length; i++) {
    let v: unknown = doc;
    for (const part of paths[i]!) v = v !== null && typeof v === "object" ? (v as Document)[part] : undefined;
    if (v === undefined && spec.partialFilterExpression) return undefined;
    out += i === 0 ? valueKey(v) : `\u0000${valueKey(v)}`;
  }
  return out;
}

function keyDoc(spec: IndexSpec, doc: Document): Document {
  return Object.fromEntries(Object.keys(spec.key).map((f) => [f, getPath(doc, f) ?? null]));
}

function duplicate(coll: string, index: string, key: Document): MongoCommandError {
  return new MongoCommandError(
    11000,
    "DuplicateKey",
    `E11000 duplicate key error collection: ${coll} index: ${index} dup key: ${JSON.stringify(key)}`,
  );
}

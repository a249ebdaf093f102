import { BSON, Long, ObjectId, type Document } from "bson";
import { fallbackCounts } from "./engine/fallback.js";
import { update as applyUpdate } from "mingo/updater";
import type { Store } from "./engine/database.js";
import type { Collection } from "./engine/collection.js";
import { deepClone } from "./engine/clone.js";
import { checkDeadline, newClock, runWithin } from "./engine/deadline.js";
import { runSliced } from "./engine/scheduler.js";
import {
  MongoCommandError,
  badValue,
  commandNotFound,
  cursorNotFound,
  illegalOperation,
  indexNotFound,
  invalidNamespace,
} from "./engine/errors.js";
import { valueKey } from "./engine/keys.js";
import { isMatchStage } from "./engine/compile-pipeline.js";
import { leadingEqualities } from "./engine/partition.js";
import { engineOptions, matcher, runFind, runPipeline, runPipelineSliced } from "./engine/query.js";
import { MAX_BSON_OBJECT_BYTES, MAX_MESSAGE_BYTES } from "./wire.js";

/** A document changed by a write: its post-image, or null when deleted. Fed to the journal. */
export interface Change {
  readonly db: string;
  readonly coll: string;
  readonly id: unknown;
  readonly doc: Document | null;
}

/** Whole-collection or whole-database events for the journal. */
export type Event =
  | { kind: "doc"; change: Change }
  | { kind: "dropCollection"; db: string; coll: string }
  | { kind: "dropDatabase"; db: string }
  | { kind: "index"; db: string; coll: string; spec: Document }
  | { kind: "dropIndex"; db: string; coll: string; name: string }
  | { kind: "create"; db: string; coll: string };

interface OpenCursor {
  readonly ns: string;
  docs: Document[];
  pos: number;
}

/** Bytes a reply may spend on documents: a 16 MiB reply document minus envelope and per-element overhead. */
const BATCH_BYTES = MAX_BSON_OBJECT_BYTES - 64 * 1024;
const DEFAULT_FIRST_BATCH = 101;

/**
 * Executes commands against a Store. `events` collects what a write changed, for durability (none is
 * collected when it is undefined: an in-memory database); the
 * caller persists them before the reply is sent.
 */
export class CommandExecutor {
  private readonly cursors = new Map<bigint, OpenCursor>();
  private nextCursorId = 1n;

  constructor(private readonly store: Store) {}

  /**
   * Executes one command. Aggregations answer asynchronously: they run in slices between which other
   * commands run (engine/scheduler.ts); every other command runs to its end at once.
   */
  execute(cmd: Document, connectionId: number, events: Event[] | undefined): Document | Promise<Document> {
    const name = Object.keys(cmd)[0] ?? "";
    const db = typeof cmd.$db === "string" ? cmd.$db : "admin";
    if (cmd.txnNumber !== undefined || cmd.startTransaction !== undefined) {
      throw illegalOperation("Transaction numbers are only allowed on a replica set member or mongos");
    }
    const maxTimeMS =
      typeof cmd.maxTimeMS === "number" && (name === "aggregate" || name === "find") ? cmd.maxTimeMS : 0;
    if (name === "aggregate") return runSliced(newClock(maxTimeMS, cmd.allowDiskUse === true), this.aggregate(cmd, db));
    return runWithin(maxTimeMS, () => {
      const reply = this.dispatch(name, cmd, db, connectionId, events);
      if (maxTimeMS > 0) checkDeadline();
      return reply;
    });
  }

  private dispatch(
    name: string,
    cmd: Document,
    db: string,
    connectionId: number,
    events: Event[] | undefined,
  ): Document {
    switch (name) {
      case "hello":
      case "isMaster":
      case "ismaster":
        return hello(name !== "hello", connectionId);
      case "ping":
        return { ok: 1 };
      case "buildInfo":
      case "buildinfo":
        return {
          version: "7.0.0",
          gitVersion: "tally-embedded",
          versionArray: [7, 0, 0, 0],
          bits: 64,
          maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
          // One thread runs every command: aggregates sent side by side do not run in parallel.
          tally: { parallelAggregates: false },
          ok: 1,
        };
      case "getParameter":
        return { featureCompatibilityVersion: { version: "7.0" }, ok: 1 };
      case "serverStatus":
        return {
          host: "embedded",
          version: "7.0.0",
          process: "tally-embedded",
          uptime: process.uptime(),
          tally: { engineFallbacks: fallbackCounts() },
          ok: 1,
        };
      case "hostInfo":
        return { system: { hostname: "embedded" }, ok: 1 };
      case "endSessions":
      case "killSessions":
      case "refreshSessions":
      case "abortTransaction":
      case "commitTransaction":
        return { ok: 1 };
      case "insert":
        return this.insert(cmd, db, events);
      case "update":
        return this.update(cmd, db, events);
      case "delete":
        return this.delete(cmd, db, events);
      case "findAndModify":
      case "findandmodify":
        return this.findAndModify(cmd, db, events);
      case "find":
        return this.find(cmd, db);
      case "getMore":
        return this.getMore(cmd);
      case "killCursors":
        return this.killCursors(cmd);
      case "count": {
        const coll = this.coll(db, cmd.count, false);
        const docs = coll ? coll.snapshot().filter(matcher(cmd.query, engineOptions(this.store, db))) : [];
        let n = Math.max(0, docs.length - (cmd.skip ?? 0));
        if (cmd.limit) n = Math.min(n, Math.abs(cmd.limit));
        return { n, ok: 1 };
      }
      case "distinct": {
        const coll = this.coll(db, cmd.distinct, false);
        const seen = new Map<string, unknown>();
        if (coll) {
          const test = matcher(cmd.query, engineOptions(this.store, db));
          for (const doc of coll.docs.values()) {
            if (!test(doc)) continue;
            const v = getDotted(doc, String(cmd.key));
            for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) seen.set(valueKey(x), x);
          }
        }
        return { values: [...seen.values()], ok: 1 };
      }
      case "createIndexes":
        return this.createIndexes(cmd, db, events);
      case "listIndexes": {
        const coll = this.coll(db, cmd.listIndexes, false);
        if (!coll)
          throw new MongoCommandError(26, "NamespaceNotFound", `ns does not exist: ${db}.${String(cmd.listIndexes)}`);
        const docs = coll.indexes.map((i) => ({
          v: 2,
          key: i.key,
          name: i.name,
          ...(i.unique && i.name !== "_id_" ? { unique: true } : {}),
        }));
        return this.cursorReply(`${db}.${String(cmd.listIndexes)}`, docs, cmd.cursor?.batchSize);
      }
      case "dropIndexes":
      case "deleteIndexes": {
        const collName = cmd[name];
        const coll = this.coll(db, collName, false);
        if (!coll) throw new MongoCommandError(26, "NamespaceNotFound", `ns not found ${db}.${String(collName)}`);
        const before = coll.indexes.length;
        const targets =
          cmd.index === "*"
            ? coll.indexes.slice(1).map((i) => i.name)
            : [
                typeof cmd.index === "string"
                  ? cmd.index
                  : (coll.indexes.find((i) => JSON.stringify(i.key) === JSON.stringify(cmd.index))?.name ?? ""),
              ];
        for (const t of targets) {
          if (!coll.dropIndex(t)) throw indexNotFound(`index not found with name [${t}]`);
          events?.push({ kind: "dropIndex", db, coll: String(collName), name: t });
        }
        return { nIndexesWas: before, ok: 1 };
      }
      case "listCollections": {
        const d = this.store.databases.get(db);
        let docs: Document[] = [...(d?.values() ?? [])].map((c) => ({
          name: c.name,
          type: "collection",
          options: {},
          info: { readOnly: false },
          idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
        }));
        if (cmd.filter) docs = docs.filter(matcher(cmd.filter, engineOptions(this.store, db)));
        if (cmd.nameOnly) docs = docs.map((c) => ({ name: c.name, type: c.type }));
        return this.cursorReply(`${db}.$cmd.listCollections`, docs, cmd.cursor?.batchSize);
      }
      case "listDatabases": {
        const databases = [...this.store.databases.entries()].map(([n, d]) => ({
          name: n,
          sizeOnDisk: 0,
          empty: d.size === 0,
        }));
        return { databases: cmd.nameOnly ? databases.map((x) => ({ name: x.name })) : databases, totalSize: 0, ok: 1 };
      }
      case "create": {
        if (this.store.collection(db, cmd.create, false)) {
          throw new MongoCommandError(48, "NamespaceExists", `Collection ${db}.${String(cmd.create)} already exists.`);
        }
        this.coll(db, cmd.create, true);
        events?.push({ kind: "create", db, coll: String(cmd.create) });
        return { ok: 1 };
      }
      case "drop": {
        const coll = this.store.collection(db, cmd.drop, false);
        this.store.dropCollection(db, String(cmd.drop));
        if (coll) events?.push({ kind: "dropCollection", db, coll: String(cmd.drop) });
        return { ns: `${db}.${String(cmd.drop)}`, nIndexesWas: coll?.indexes.length ?? 0, ok: 1 };
      }
      case "dropDatabase":
        this.store.dropDatabase(db);
        events?.push({ kind: "dropDatabase", db });
        return { dropped: db, ok: 1 };
      default:
        throw commandNotFound(name);
    }
  }

  private coll(db: string, name: unknown, create: true): Collection;
  private coll(db: string, name: unknown, create: boolean): Collection | undefined;
  private coll(db: string, name: unknown, create: boolean): Collection | undefined {
    if (typeof name !== "string" || name === "" || name.includes("\0") || name.startsWith("system.")) {
      throw invalidNamespace(`Invalid collection name: ${String(name)}`);
    }
    return this.store.collection(db, name, create);
  }

  private insert(cmd: Document, db: string, events: Event[] | undefined): Document {
    const coll = this.coll(db, cmd.insert, true);
    const docs = (cmd.documents ?? []) as Document[];
    const ordered = cmd.ordered !== false;
    const writeErrors: Document[] = [];
    let n = 0;
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i]!;
      try {
        const stored = withIdFirst(doc);
        coll.insert(stored);
        n++;
        events?.push({ kind: "doc", change: { db, coll: coll.name, id: stored._id, doc: stored } });
      } catch (e) {
        writeErrors.push(writeError(i, e));
        if (ordered) break;
      }
    }
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private update(cmd: Document, db: string, events: Event[] | undefined): Document {
    const coll = this.coll(db, cmd.update, true);
    const updates = (cmd.updates ?? []) as Document[];
    const ordered = cmd.ordered !== false;
    const opts = engineOptions(this.store, db);
    const writeErrors: Document[] = [];
    const upserted: Document[] = [];
    let n = 0;
    let nModified = 0;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      try {
        const test = matcher(u.q, opts);
        let matched = 0;
        for (const doc of coll.scan(filterEqualities(u.q))) {
          if (!test(doc)) continue;
          const idKey = valueKey(doc._id);
          matched++;
          const next = applyModifier(doc, u.u, u.arrayFilters, false, this.store, db);
          if (!sameDoc(doc, next)) {
            coll.replace(idKey, next);
            nModified++;
            events?.push({ kind: "doc", change: { db, coll: coll.name, id: next._id, doc: next } });
          }
          if (!u.multi) break;
        }
        n += matched;
        if (matched === 0 && u.upsert) {
          const base = seedFromQuery(u.q ?? {});
          const doc = applyModifier(base, u.u, u.arrayFilters, true, this.store, db);
          if (doc._id === undefined) doc._id = base._id ?? new ObjectId();
          coll.insert(doc);
          n++;
          upserted.push({ index: i, _id: doc._id });
          events?.push({ kind: "doc", change: { db, coll: coll.name, id: doc._id, doc } });
        }
      } catch (e) {
        writeErrors.push(writeError(i, e));
        if (ordered) break;
      }
    }
    return {
      n,
      nModified,
      ...(upserted.length ? { upserted } : {}),
      ...(writeErrors.length ? { writeErrors } : {}),
      ok: 1,
    };
  }

  private delete(cmd: Document, db: string, events: Event[] | undefined): Document {
    const coll = this.coll(db, cmd.delete, false);
    let n = 0;
    if (coll) {
      const opts = engineOptions(this.store, db);
      for (const d of (cmd.deletes ?? []) as Document[]) {
        const test = matcher(d.q, opts);
        for (const doc of coll.scan(filterEqualities(d.q))) {
          if (!test(doc)) continue;
          coll.remove(valueKey(doc._id));
          n++;
          events?.push({ kind: "doc", change: { db, coll: coll.name, id: doc._id, doc: null } });
          if (d.limit === 1) break;
        }
      }
    }
    return { n, ok: 1 };
  }

  private findAndModify(cmd: Document, db: string, events: Event[] | undefined): Document {
    const collName = cmd.findAndModify ?? cmd.findandmodify;
    const coll = this.coll(db, collName, true);
    const opts = engineOptions(this.store, db);
    const found = runFind(coll.snapshot(), { filter: cmd.query, sort: cmd.sort, limit: 1 }, opts)[0];
    const project = (d: Document | null) =>
      d && cmd.fields ? (runFind([d], { projection: cmd.fields }, opts)[0] ?? null) : d;
    if (cmd.remove) {
      if (found) {
        coll.remove(valueKey(found._id));
        events?.push({ kind: "doc", change: { db, coll: coll.name, id: found._id, doc: null } });
      }
      return { lastErrorObject: { n: found ? 1 : 0 }, value: project(found ?? null), ok: 1 };
    }
    if (found) {
      const next = applyModifier(found, cmd.update, cmd.arrayFilters, false, this.store, db);
      coll.replace(valueKey(found._id), next);
      events?.push({ kind: "doc", change: { db, coll: coll.name, id: next._id, doc: next } });
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? next : found), ok: 1 };
    }
    if (cmd.upsert) {
      const base = seedFromQuery(cmd.query ?? {});
      const doc = applyModifier(base, cmd.update, cmd.arrayFilters, true, this.store, db);
      if (doc._id === undefined) doc._id = new ObjectId();
      coll.insert(doc);
      events?.push({ kind: "doc", change: { db, coll: coll.name, id: doc._id, doc } });
      return {
        lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
        value: project(cmd.new ? doc : null),
        ok: 1,
      };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  }

  private find(cmd: Document, db: string): Document {
    const coll = this.coll(db, cmd.find, false);
    const docs = coll ? runFind(coll.scan(filterEqualities(cmd.filter)), cmd, engineOptions(this.store, db)) : [];
    const firstBatch = cmd.singleBatch ? Number.MAX_SAFE_INTEGER : (cmd.batchSize ?? DEFAULT_FIRST_BATCH);
    return this.cursorReply(`${db}.${String(cmd.find)}`, docs, firstBatch, cmd.singleBatch === true);
  }

  private *aggregate(cmd: Document, db: string): Generator<void, Document, void> {
    if (!Array.isArray(cmd.pipeline))
      throw new MongoCommandError(14, "TypeMismatch", "'pipeline' option must be specified as an array");
    if (!cmd.cursor && !cmd.explain)
      throw new MongoCommandError(
        9,
        "FailedToParse",
        "The 'cursor' option is required, except for aggregate with the explain argument",
      );
    const coll = cmd.aggregate === 1 ? undefined : this.coll(db, cmd.aggregate, false);
    const source = coll ? coll.scan(leadingEqualities(leadingMatches(cmd.pipeline as Document[]))) : [];
    const docs = yield* runPipelineSliced(source, cmd.pipeline as Document[], engineOptions(this.store, db));
    checkDeadline();
    return this.cursorReply(`${db}.${String(cmd.aggregate)}`, docs, cmd.cursor?.batchSize ?? DEFAULT_FIRST_BATCH);
  }

  private getMore(cmd: Document): Document {
    const id = BigInt(cmd.getMore instanceof Long ? cmd.getMore.toBigInt() : cmd.getMore);
    const cur = this.cursors.get(id);
    if (!cur) throw cursorNotFound(`cursor id ${id} not found`);
    const nextBatch = takeBatch(cur, cmd.batchSize || Number.MAX_SAFE_INTEGER);
    const done = cur.pos >= cur.docs.length;
    if (done) this.cursors.delete(id);
    return { cursor: { id: Long.fromBigInt(done ? 0n : id), ns: cur.ns, nextBatch }, ok: 1 };
  }

  private killCursors(cmd: Document): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const c of (cmd.cursors ?? []) as (Long | number)[]) {
      const id = c instanceof Long ? c.toBigInt() : BigInt(c);
      (this.cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  private createIndexes(cmd: Document, db: string, events: Event[] | undefined): Document {
    const existed = this.store.collection(db, cmd.createIndexes, false) !== undefined;
    const coll = this.coll(db, cmd.createIndexes, true);
    const before = coll.indexes.length;
    for (const spec of (cmd.indexes ?? []) as Document[]) {
      if (!spec.key || typeof spec.key !== "object" || !spec.name)
        throw badValue("index specification must have 'key' and 'name'");
      const s = {
        name: String(spec.name),
        key: spec.key as Document,
        unique: spec.unique === true,
        partialFilterExpression: spec.partialFilterExpression,
      };
      if (coll.addIndex(s)) events?.push({ kind: "index", db, coll: coll.name, spec: s });
    }
    return {
      createdCollectionAutomatically: !existed,
      numIndexesBefore: before,
      numIndexesAfter: coll.indexes.length,
      ok: 1,
    };
  }

  private cursorReply(ns: string, docs: Document[], batchSize: number | undefined, single = false): Document {
    const cur: OpenCursor = { ns, docs, pos: 0 };
    const firstBatch = takeBatch(cur, batchSize === undefined || batchSize === 0 ? DEFAULT_FIRST_BATCH : batchSize);
    let id = 0n;
    if (!single && cur.pos < cur.docs.length) {
      id = this.nextCursorId++;
      this.cursors.set(id, cur);
    }
    return { cursor: { id: Long.fromBigInt(id), ns, firstBatch }, ok: 1 };
  }
}

/** Takes up to `max` documents within the reply byte budget (each array element costs ~8 bytes more). */
function takeBatch(cur: OpenCursor, max: number): Document[] {
  const out: Document[] = [];
  let bytes = 0;
  while (cur.pos < cur.docs.length && out.length < max) {
    const doc = cur.docs[cur.pos]!;
    const size = BSON.calculateObjectSize(doc) + 8 + String(out.length).length;
    if (out.length > 0 && bytes + size > BATCH_BYTES) break;
    if (size > MAX_BSON_OBJECT_BYTES)
      throw new MongoCommandError(10334, "BSONObjectTooLarge", "BSONObj size is too large");
    bytes += size;
    out.push(doc);
    cur.pos++;
  }
  return out;
}

export function hello(legacy: boolean, connectionId: number): Document {
  return {
    helloOk: true,
    ...(legacy ? { ismaster: true } : {}),
    isWritablePrimary: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

/** MongoDB stores `_id` as the first field, generating one when absent. */
function withIdFirst(doc: Document): Document {
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

function writeError(index: number, e: unknown): Document {
  if (e instanceof MongoCommandError) return { index, code: e.code, errmsg: e.message };
  return { index, code: 2, errmsg: e instanceof Error ? e.message : String(e) };
}

/** Applies an update (operators, replacement, or pipeline) to a copy of `doc`. */
function applyModifier(
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
    applyUpdate(copy, mod as never, arrayFilters as never, undefined, { cloneMode: "none" as never });
  return copy;
}

/** The document an upsert starts from: the equality conditions of its query. */
function seedFromQuery(q: Document): Document {
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

function setDotted(doc: Document, path: string, v: unknown): void {
  const parts = path.split(".");
  let cur: Document = doc;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Document;
  cur[parts.at(-1)!] = v;
}

function getDotted(doc: Document, path: string): unknown {
  let cur: unknown = doc;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Document)[p];
  }
  return cur;
}

function sameDoc(a: Document, b: Document): boolean {
  return Buffer.compare(BSON.serialize(a), BSON.serialize(b)) === 0;
}

/** The equalities a find/update/delete filter imposes (what an index could serve). */
function filterEqualities(filter: unknown): Map<string, unknown[]> {
  return leadingEqualities(isDoc(filter) ? [filter] : []);
}

/** The `$match` stages a pipeline starts with (what an index could serve). */
function leadingMatches(pipeline: readonly Document[]): Document[] {
  const out: Document[] = [];
  for (const stage of pipeline) {
    if (!isDoc(stage) || !isMatchStage(stage)) break;
    out.push(stage.$match);
  }
  return out;
}

function isDoc(v: unknown): v is Document {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

import type { Document } from "bson";
import { MongoCommandError } from "../engine/errors.js";
import { engineOptions, matcher } from "../engine/query.js";
import type { CommandContext, Event } from "./context.js";

/** `listCollections`, with `filter` and `nameOnly`. */
export function listCollections(ctx: CommandContext, cmd: Document, db: string): Document {
  const d = ctx.store.databases.get(db);
  let docs: Document[] = [...(d?.values() ?? [])].map((c) => ({
    name: c.name,
    type: "collection",
    options: {},
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
  }));
  if (cmd.filter) docs = docs.filter(matcher(cmd.filter, engineOptions(ctx.store, db)));
  if (cmd.nameOnly) docs = docs.map((c) => ({ name: c.name, type: c.type }));
  return ctx.cursorReply(`${db}.$cmd.listCollections`, docs, cmd.cursor?.batchSize);
}

/** `listDatabases`. */
export function listDatabases(ctx: CommandContext, cmd: Document): Document {
  const databases = [...ctx.store.databases.entries()].map(([n, d]) => ({
    name: n,
    sizeOnDisk: 0,
    empty: d.size === 0,
  }));
  return { databases: cmd.nameOnly ? databases.map((x) => ({ name: x.name })) : databases, totalSize: 0, ok: 1 };
}

/** `create`: a collection, refused when it exists. */
export function create(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  if (ctx.store.collection(db, cmd.create, false)) {
    throw new MongoCommandError(48, "NamespaceExists", `Collection ${db}.${String(cmd.create)} already exists.`);
  }
  ctx.coll(db, cmd.create, true);
  events?.push({ kind: "create", db, coll: String(cmd.create) });
  return { ok: 1 };
}

/** `drop`: a collection (and its indexes). */
export function drop(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const coll = ctx.store.collection(db, cmd.drop, false);
  ctx.store.dropCollection(db, String(cmd.drop));
  if (coll) events?.push({ kind: "dropCollection", db, coll: String(cmd.drop) });
  return { ns: `${db}.${String(cmd.drop)}`, nIndexesWas: coll?.indexes.length ?? 0, ok: 1 };
}

/** `dropDatabase`. */
export function dropDatabase(ctx: CommandContext, db: string, events: Event[] | undefined): Document {
  ctx.store.dropDatabase(db);
  events?.push({ kind: "dropDatabase", db });
  return { dropped: db, ok: 1 };
}

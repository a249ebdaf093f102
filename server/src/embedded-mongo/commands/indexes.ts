import type { Document } from "bson";
import { MongoCommandError, badValue, indexNotFound } from "../engine/errors.js";
import type { CommandContext, Event } from "./context.js";

/** `createIndexes`: unique and partial indexes; an existing identical index is kept. */
export function createIndexes(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const existed = ctx.store.collection(db, cmd.createIndexes, false) !== undefined;
  const coll = ctx.coll(db, cmd.createIndexes, true);
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

/** `listIndexes`. */
export function listIndexes(ctx: CommandContext, cmd: Document, db: string): Document {
  const coll = ctx.coll(db, cmd.listIndexes, false);
  if (!coll)
    throw new MongoCommandError(26, "NamespaceNotFound", `ns does not exist: ${db}.${String(cmd.listIndexes)}`);
  const docs = coll.indexes.map((i) => ({
    v: 2,
    key: i.key,
    name: i.name,
    ...(i.unique && i.name !== "_id_" ? { unique: true } : {}),
  }));
  return ctx.cursorReply(`${db}.${String(cmd.listIndexes)}`, docs, cmd.cursor?.batchSize);
}

/** `dropIndexes` (and its old name `deleteIndexes`): by name, by key, or every index but `_id_`. */
export function dropIndexes(
  ctx: CommandContext,
  cmd: Document,
  db: string,
  events: Event[] | undefined,
  name: string,
): Document {
  const collName = cmd[name];
  const coll = ctx.coll(db, collName, false);
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

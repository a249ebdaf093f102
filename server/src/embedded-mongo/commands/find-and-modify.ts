import { ObjectId, type Document } from "bson";
import { valueKey } from "../engine/keys.js";
import { engineOptions, runFind } from "../engine/query.js";
import type { CommandContext, Event } from "./context.js";
import { applyModifier, seedFromQuery } from "./documents.js";

/** `findAndModify`: the first match by `sort`, removed or updated (or upserted), before or after. */
export function findAndModify(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const collName = cmd.findAndModify ?? cmd.findandmodify;
  const coll = ctx.coll(db, collName, true);
  const opts = engineOptions(ctx.store, db);
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
    const next = applyModifier(found, cmd.update, cmd.arrayFilters, false, ctx.store, db);
    coll.replace(valueKey(found._id), next);
    events?.push({ kind: "doc", change: { db, coll: coll.name, id: next._id, doc: next } });
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? next : found), ok: 1 };
  }
  if (cmd.upsert) {
    const base = seedFromQuery(cmd.query ?? {});
    const doc = applyModifier(base, cmd.update, cmd.arrayFilters, true, ctx.store, db);
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

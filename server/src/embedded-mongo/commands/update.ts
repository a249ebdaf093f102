import { ObjectId, type Document } from "bson";
import { valueKey } from "../engine/keys.js";
import { engineOptions, matcher } from "../engine/query.js";
import type { CommandContext, Event } from "./context.js";
import { applyModifier, filterEqualities, sameDoc, seedFromQuery, writeError } from "./documents.js";

/** `update`: modifiers or pipelines per statement, `multi` and `upsert`. */
export function update(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const coll = ctx.coll(db, cmd.update, true);
  const updates = (cmd.updates ?? []) as Document[];
  const ordered = cmd.ordered !== false;
  const opts = engineOptions(ctx.store, db);
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
        const next = applyModifier(doc, u.u, u.arrayFilters, false, ctx.store, db);
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
        const doc = applyModifier(base, u.u, u.arrayFilters, true, ctx.store, db);
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

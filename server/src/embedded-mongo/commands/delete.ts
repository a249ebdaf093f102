import type { Document } from "bson";
import { valueKey } from "../engine/keys.js";
import { engineOptions, matcher } from "../engine/query.js";
import type { CommandContext, Event } from "./context.js";
import { filterEqualities } from "./documents.js";

/** `delete`: each statement removes every match, or one with `limit: 1`. */
export function remove(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const coll = ctx.coll(db, cmd.delete, false);
  let n = 0;
  if (coll) {
    const opts = engineOptions(ctx.store, db);
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

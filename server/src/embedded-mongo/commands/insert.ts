import type { Document } from "bson";
import type { CommandContext, Event } from "./context.js";
import { withIdFirst, writeError } from "./documents.js";

/** `insert`: each document stored with its `_id` first; ordered inserts stop at the first error. */
export function insert(ctx: CommandContext, cmd: Document, db: string, events: Event[] | undefined): Document {
  const coll = ctx.coll(db, cmd.insert, true);
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

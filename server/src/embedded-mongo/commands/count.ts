import type { Document } from "bson";
import { valueKey } from "../engine/keys.js";
import { engineOptions, matcher } from "../engine/query.js";
import type { CommandContext } from "./context.js";
import { getDotted } from "./documents.js";

/** `count` with `query`, `skip` and `limit`. */
export function count(ctx: CommandContext, cmd: Document, db: string): Document {
  const coll = ctx.coll(db, cmd.count, false);
  const docs = coll ? coll.snapshot().filter(matcher(cmd.query, engineOptions(ctx.store, db))) : [];
  let n = Math.max(0, docs.length - (cmd.skip ?? 0));
  if (cmd.limit) n = Math.min(n, Math.abs(cmd.limit));
  return { n, ok: 1 };
}

/** `distinct`: the distinct values (array elements one by one) of `key` among the matches. */
export function distinct(ctx: CommandContext, cmd: Document, db: string): Document {
  const coll = ctx.coll(db, cmd.distinct, false);
  const seen = new Map<string, unknown>();
  if (coll) {
    const test = matcher(cmd.query, engineOptions(ctx.store, db));
    for (const doc of coll.docs.values()) {
      if (!test(doc)) continue;
      const v = getDotted(doc, String(cmd.key));
      for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) seen.set(valueKey(x), x);
    }
  }
  return { values: [...seen.values()], ok: 1 };
}

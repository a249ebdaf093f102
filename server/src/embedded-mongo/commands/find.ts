import type { Document } from "bson";
import { engineOptions, runFind } from "../engine/query.js";
import { type CommandContext, DEFAULT_FIRST_BATCH } from "./context.js";
import { filterEqualities } from "./documents.js";

/** `find`: read through the best index's equalities, then filter, sort, skip, limit, project. */
export function find(ctx: CommandContext, cmd: Document, db: string): Document {
  const coll = ctx.coll(db, cmd.find, false);
  const docs = coll ? runFind(coll.scan(filterEqualities(cmd.filter)), cmd, engineOptions(ctx.store, db)) : [];
  const firstBatch = cmd.singleBatch ? Number.MAX_SAFE_INTEGER : (cmd.batchSize ?? DEFAULT_FIRST_BATCH);
  return ctx.cursorReply(`${db}.${String(cmd.find)}`, docs, firstBatch, cmd.singleBatch === true);
}

import { Long, type Document } from "bson";
import { cursorNotFound } from "../engine/errors.js";
import { type CommandContext, takeBatch } from "./context.js";

/** `getMore`: the next batch of an open cursor; the cursor closes with its last document. */
export function getMore(ctx: CommandContext, cmd: Document): Document {
  const id = BigInt(cmd.getMore instanceof Long ? cmd.getMore.toBigInt() : cmd.getMore);
  const cur = ctx.cursors.get(id);
  if (!cur) throw cursorNotFound(`cursor id ${id} not found`);
  const nextBatch = takeBatch(cur, cmd.batchSize || Number.MAX_SAFE_INTEGER);
  const done = cur.pos >= cur.docs.length;
  if (done) ctx.cursors.delete(id);
  return { cursor: { id: Long.fromBigInt(done ? 0n : id), ns: cur.ns, nextBatch }, ok: 1 };
}

/** `killCursors`. */
export function killCursors(ctx: CommandContext, cmd: Document): Document {
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const c of (cmd.cursors ?? []) as (Long | number)[]) {
    const id = c instanceof Long ? c.toBigInt() : BigInt(c);
    (ctx.cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

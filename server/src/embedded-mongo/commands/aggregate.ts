import type { Document } from "bson";
import { checkDeadline } from "../engine/deadline.js";
import { MongoCommandError } from "../engine/errors.js";
import { leadingEqualities } from "../engine/partition.js";
import { engineOptions, runPipelineSliced } from "../engine/query.js";
import { type CommandContext, DEFAULT_FIRST_BATCH } from "./context.js";
import { leadingMatches } from "./documents.js";

/** `aggregate`, as a sliced computation (it yields between slices; see engine/scheduler.ts). */
export function* aggregate(ctx: CommandContext, cmd: Document, db: string): Generator<void, Document, void> {
  if (!Array.isArray(cmd.pipeline))
    throw new MongoCommandError(14, "TypeMismatch", "'pipeline' option must be specified as an array");
  if (!cmd.cursor && !cmd.explain)
    throw new MongoCommandError(
      9,
      "FailedToParse",
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  const coll = cmd.aggregate === 1 ? undefined : ctx.coll(db, cmd.aggregate, false);
  const source = coll ? coll.scan(leadingEqualities(leadingMatches(cmd.pipeline as Document[]))) : [];
  const docs = yield* runPipelineSliced(source, cmd.pipeline as Document[], engineOptions(ctx.store, db));
  checkDeadline();
  return ctx.cursorReply(`${db}.${String(cmd.aggregate)}`, docs, cmd.cursor?.batchSize ?? DEFAULT_FIRST_BATCH);
}

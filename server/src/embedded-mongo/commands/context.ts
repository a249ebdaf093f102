import { BSON, Long, type Document } from "bson";
import type { Collection } from "../engine/collection.js";
import type { Store } from "../engine/database.js";
import { MongoCommandError, invalidNamespace } from "../engine/errors.js";
import { MAX_BSON_OBJECT_BYTES } from "../wire.js";

/** A document changed by a write: its post-image, or null when deleted. Fed to the journal. */
export interface Change {
  readonly db: string;
  readonly coll: string;
  readonly id: unknown;
  readonly doc: Document | null;
}

/** Whole-collection or whole-database events for the journal. */
export type Event =
  | { kind: "doc"; change: Change }
  | { kind: "dropCollection"; db: string; coll: string }
  | { kind: "dropDatabase"; db: string }
  | { kind: "index"; db: string; coll: string; spec: Document }
  | { kind: "dropIndex"; db: string; coll: string; name: string }
  | { kind: "create"; db: string; coll: string };

/** A cursor's remaining documents. */
export interface OpenCursor {
  readonly ns: string;
  docs: Document[];
  pos: number;
}

/** Bytes a reply may spend on documents: a 16 MiB reply document minus envelope and per-element overhead. */
const BATCH_BYTES = MAX_BSON_OBJECT_BYTES - 64 * 1024;
/** The driver's default first batch when it names none. */
export const DEFAULT_FIRST_BATCH = 101;

/** What every command works with: the store, the open cursors, and the shared reply helpers. */
export class CommandContext {
  readonly cursors = new Map<bigint, OpenCursor>();
  private nextCursorId = 1n;

  constructor(readonly store: Store) {}

  /** A collection by a command's name for it (refusing invalid names); created when asked. */
  coll(db: string, name: unknown, create: true): Collection;
  coll(db: string, name: unknown, create: boolean): Collection | undefined;
  coll(db: string, name: unknown, create: boolean): Collection | undefined {
    if (typeof name !== "string" || name === "" || name.includes("\0") || name.startsWith("system.")) {
      throw invalidNamespace(`Invalid collection name: ${String(name)}`);
    }
    return this.store.collection(db, name, create);
  }
  /** A cursor reply: the first batch, and an open cursor for the rest (unless `single`). */
  cursorReply(ns: string, docs: Document[], batchSize: number | undefined, single = false): Document {
    const cur: OpenCursor = { ns, docs, pos: 0 };
    const firstBatch = takeBatch(cur, batchSize === undefined || batchSize === 0 ? DEFAULT_FIRST_BATCH : batchSize);
    let id = 0n;
    if (!single && cur.pos < cur.docs.length) {
      id = this.nextCursorId++;
      this.cursors.set(id, cur);
    }
    return { cursor: { id: Long.fromBigInt(id), ns, firstBatch }, ok: 1 };
  }
}

/** Takes up to `max` documents within the reply byte budget (each array element costs ~8 bytes more). */
export function takeBatch(cur: OpenCursor, max: number): Document[] {
  const out: Document[] = [];
  let bytes = 0;
  while (cur.pos < cur.docs.length && out.length < max) {
    const doc = cur.docs[cur.pos]!;
    const size = BSON.calculateObjectSize(doc) + 8 + String(out.length).length;
    if (out.length > 0 && bytes + size > BATCH_BYTES) break;
    if (size > MAX_BSON_OBJECT_BYTES)
      throw new MongoCommandError(10334, "BSONObjectTooLarge", "BSONObj size is too large");
    bytes += size;
    out.push(doc);
    cur.pos++;
  }
  return out;
}

import type { Document } from "bson";
import { newClock, runWithin, checkDeadline } from "./engine/deadline.js";
import type { Store } from "./engine/database.js";
import { commandNotFound, illegalOperation } from "./engine/errors.js";
import { runSliced } from "./engine/scheduler.js";
import { aggregate } from "./commands/aggregate.js";
import { CommandContext, type Event } from "./commands/context.js";
import { count, distinct } from "./commands/count.js";
import { getMore, killCursors } from "./commands/cursors.js";
import { remove } from "./commands/delete.js";
import { find } from "./commands/find.js";
import { findAndModify } from "./commands/find-and-modify.js";
import { createIndexes, dropIndexes, listIndexes } from "./commands/indexes.js";
import { insert } from "./commands/insert.js";
import { create, drop, dropDatabase, listCollections, listDatabases } from "./commands/namespaces.js";
import { buildInfo, hello, serverStatus } from "./commands/server-info.js";
import { update } from "./commands/update.js";

export type { Change, Event } from "./commands/context.js";

/** One command's handler (aggregate, which runs in slices, is dispatched apart). */
type Handler = (
  ctx: CommandContext,
  cmd: Document,
  db: string,
  events: Event[] | undefined,
  name: string,
  connectionId: number,
) => Document;

const ok: Handler = () => ({ ok: 1 });

/** Every command the driver sends Tally's way, by name (one file per command under commands/). */
const handlers: Readonly<Record<string, Handler>> = {
  hello: (_c, _cmd, _db, _e, _n, id) => hello(false, id),
  isMaster: (_c, _cmd, _db, _e, _n, id) => hello(true, id),
  ismaster: (_c, _cmd, _db, _e, _n, id) => hello(true, id),
  ping: ok,
  buildInfo: () => buildInfo(),
  buildinfo: () => buildInfo(),
  getParameter: () => ({ featureCompatibilityVersion: { version: "7.0" }, ok: 1 }),
  serverStatus: () => serverStatus(),
  hostInfo: () => ({ system: { hostname: "embedded" }, ok: 1 }),
  endSessions: ok,
  killSessions: ok,
  refreshSessions: ok,
  abortTransaction: ok,
  commitTransaction: ok,
  insert: (c, cmd, db, e) => insert(c, cmd, db, e),
  update: (c, cmd, db, e) => update(c, cmd, db, e),
  delete: (c, cmd, db, e) => remove(c, cmd, db, e),
  findAndModify: (c, cmd, db, e) => findAndModify(c, cmd, db, e),
  findandmodify: (c, cmd, db, e) => findAndModify(c, cmd, db, e),
  find: (c, cmd, db) => find(c, cmd, db),
  getMore: (c, cmd) => getMore(c, cmd),
  killCursors: (c, cmd) => killCursors(c, cmd),
  count: (c, cmd, db) => count(c, cmd, db),
  distinct: (c, cmd, db) => distinct(c, cmd, db),
  createIndexes: (c, cmd, db, e) => createIndexes(c, cmd, db, e),
  listIndexes: (c, cmd, db) => listIndexes(c, cmd, db),
  dropIndexes: (c, cmd, db, e, n) => dropIndexes(c, cmd, db, e, n),
  deleteIndexes: (c, cmd, db, e, n) => dropIndexes(c, cmd, db, e, n),
  listCollections: (c, cmd, db) => listCollections(c, cmd, db),
  listDatabases: (c, cmd) => listDatabases(c, cmd),
  create: (c, cmd, db, e) => create(c, cmd, db, e),
  drop: (c, cmd, db, e) => drop(c, cmd, db, e),
  dropDatabase: (c, _cmd, db, e) => dropDatabase(c, db, e),
};

/**
 * Executes commands against a Store. `events` collects what a write changed, for durability (none is
 * collected when it is undefined: an in-memory database); the
 * caller persists them before the reply is sent.
 */
export class CommandExecutor {
  private readonly ctx: CommandContext;

  constructor(store: Store) {
    this.ctx = new CommandContext(store);
  }

  /**
   * Executes one command. Aggregations answer asynchronously: they run in slices between which other
   * commands run (engine/scheduler.ts); every other command runs to its end at once.
   */
  execute(cmd: Document, connectionId: number, events: Event[] | undefined): Document | Promise<Document> {
    const name = Object.keys(cmd)[0] ?? "";
    const db = typeof cmd.$db === "string" ? cmd.$db : "admin";
    if (cmd.txnNumber !== undefined || cmd.startTransaction !== undefined) {
      throw illegalOperation("Transaction numbers are only allowed on a replica set member or mongos");
    }
    const maxTimeMS =
      typeof cmd.maxTimeMS === "number" && (name === "aggregate" || name === "find") ? cmd.maxTimeMS : 0;
    if (name === "aggregate")
      return runSliced(newClock(maxTimeMS, cmd.allowDiskUse === true), aggregate(this.ctx, cmd, db));
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (!handler) throw commandNotFound(name);
    return runWithin(maxTimeMS, () => {
      const reply = handler(this.ctx, cmd, db, events, name, connectionId);
      if (maxTimeMS > 0) checkDeadline();
      return reply;
    });
  }
}

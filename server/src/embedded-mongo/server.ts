import net, { type AddressInfo } from "node:net";
import { configureFallback } from "./engine/fallback.js";
import { MONGODB_MEMORY_LIMIT_BYTES, configureLimits } from "./engine/limits.js";
import type { Document } from "bson";
import { CommandExecutor, type Event } from "./commands.js";
import { Store } from "./engine/database.js";
import { MongoCommandError } from "./engine/errors.js";
import { Journal } from "./journal.js";
import { decodeRequest, encodeReply } from "./wire.js";
import { serveConnection } from "./connection.js";

/** Where the embedded database listens and keeps its data. */
export interface EmbeddedMongoOptions {
  /** 0 or unset: an ephemeral port. */
  readonly port?: number;
  readonly host?: string;
  /** Durable when set: journal and snapshot live here. */
  readonly dataDir?: string;
}

/**
 * The engine's switches from the environment of the process it runs in (set once per process):
 * `TALLY_ENGINE_MEMORY_LIMIT_BYTES` (MongoDB's 100 MB by default), `TALLY_ENGINE_SHUFFLE=1` (order
 * left unspecified: shuffled `$group` output, random `$sort` ties), `TALLY_ENGINE_STRICT=1` (refuse the
 * mingo fallback), `TALLY_ENGINE_DEBUG=1` (log each fallback construct once).
 */
function configureFromEnvironment(env: NodeJS.ProcessEnv): void {
  const limit = Number(env.TALLY_ENGINE_MEMORY_LIMIT_BYTES);
  configureLimits({
    memoryLimitBytes: Number.isFinite(limit) && limit > 0 ? limit : MONGODB_MEMORY_LIMIT_BYTES,
    shuffleUnordered: env.TALLY_ENGINE_SHUFFLE === "1",
  });
  configureFallback({ strict: env.TALLY_ENGINE_STRICT === "1", debug: env.TALLY_ENGINE_DEBUG === "1" });
}

/** A running embedded database: its URI, and how to stop it. */
export interface EmbeddedMongo {
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string | undefined;
  /** Documents replayed from disk at start. */
  readonly replayed: number;
  stop(): Promise<void>;
}

/**
 * Starts a MongoDB-wire-compatible server that the official driver talks to over TCP: the
 * zero-setup database for `npm start` and the one every test uses.
 */
export async function startEmbeddedMongo(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  configureFromEnvironment(process.env);
  const store = new Store();
  const opened = opts.dataDir ? Journal.open(opts.dataDir, store) : undefined;
  const journal = opened?.journal;
  const executor = new CommandExecutor(store);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const connectionId = ++connections;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveConnection(socket, (msg) => handleMessage(executor, journal, msg, socket, connectionId));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    uri: `mongodb://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    dataDir: opts.dataDir,
    replayed: opened?.replayed ?? 0,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      if (journal) {
        journal.compact(store);
        journal.close();
      }
    },
  };
}

/** Executes one message; returns a promise only while a sliced command is still running. */
function handleMessage(
  executor: CommandExecutor,
  journal: Journal | undefined,
  msg: Buffer,
  socket: net.Socket,
  connectionId: number,
): Promise<void> | undefined {
  let req: ReturnType<typeof decodeRequest>;
  try {
    req = decodeRequest(msg);
  } catch {
    socket.destroy();
    return undefined;
  }
  const send = (reply: Document) => {
    if (!req.moreToCome && !socket.destroyed) socket.write(encodeReply(req, reply));
  };
  // What writes changed, for the journal; nothing is collected for an in-memory database.
  const events: Event[] | undefined = journal ? [] : undefined;
  let reply: Document | Promise<Document>;
  try {
    reply = executor.execute(req.command, connectionId, events);
  } catch (e) {
    reply = errorReply(e);
  }
  if (reply instanceof Promise) return reply.then(send, (e: unknown) => send(errorReply(e)));
  // Acknowledge only what is on disk.
  if (journal && events?.length) journal.append(events);
  send(reply);
  return undefined;
}

function errorReply(e: unknown): Document {
  return e instanceof MongoCommandError
    ? { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName }
    : { ok: 0, errmsg: e instanceof Error ? e.message : String(e), code: 1, codeName: "InternalError" };
}

import { MongoClient, type Db } from "mongodb";
import type { Config } from "../platform/config.js";
import { startEmbeddedMongoProcess, type EmbeddedMongoProcess } from "../embedded-mongo/child.js";
import type { Logger } from "../platform/logger.js";

/** A connected database: real MongoDB from MONGODB_URI, or the embedded one in its own process. */
/** What the database says of itself that changes how queries are best run. */
export interface DatabaseTraits {
  /** Whether aggregates sent side by side run in parallel (real MongoDB: yes). */
  readonly parallelAggregates: boolean;
}

/** Reads the traits from `buildInfo`: a database that does not mention them is a real MongoDB. */
async function databaseTraits(db: Db): Promise<DatabaseTraits> {
  const info = await db.admin().command({ buildInfo: 1 });
  return {
    parallelAggregates: (info.tally as { parallelAggregates?: boolean } | undefined)?.parallelAggregates !== false,
  };
}

/** The connected database, its traits, and the embedded process when there is one. */
export interface Database {
  readonly client: MongoClient;
  readonly db: Db;
  readonly traits: DatabaseTraits;
  readonly embedded: EmbeddedMongoProcess | undefined;
  close(): Promise<void>;
}

/**
 * Connects to MONGODB_URI, or starts the embedded database in a child process with a heap cap.
 * `onServing` hears when that process dies (false) and when its restart serves again (true).
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  onServing: (serving: boolean) => void = () => {},
): Promise<Database> {
  let embedded: EmbeddedMongoProcess | undefined;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedMongoProcess({
      dataDir: config.TALLY_DATA_DIR,
      maxHeapMb: config.EMBEDDED_DB_MAX_HEAP_MB,
      onServing(serving, detail) {
        if (serving) logger.warn(detail, "embedded database restarted from its journal; serving again");
        else logger.error(detail, "embedded database process died; restarting it");
        onServing(serving);
      },
    });
    uri = embedded.uri;
    logger.info(
      { uri, dataDir: config.TALLY_DATA_DIR ?? "(in memory: nothing survives a restart)", replayed: embedded.replayed },
      `embedded MongoDB-compatible database in use at ${uri} (set MONGODB_URI to use a real MongoDB)`,
    );
  }
  // On the embedded database a read that killed the process (out of memory) would kill it again if
  // the driver retried it; real MongoDB refuses such a command instead, so retries stay on there.
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    appName: "tally",
    monitorCommands: true,
    ...(embedded ? { retryReads: false } : {}),
  });
  await client.connect();
  const db = client.db(config.MONGODB_DB);
  return {
    client,
    db,
    embedded,
    traits: await databaseTraits(db),
    async close() {
      await client.close();
      await embedded?.stop();
    },
  };
}

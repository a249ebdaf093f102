import { MongoClient, type Db } from "mongodb";
import type { Config } from "../config.js";
import { startEmbeddedMongo, type EmbeddedMongo } from "../embedded-mongo/index.js";
import type { Logger } from "../platform/logger.js";

/** A connected database: real MongoDB from MONGODB_URI, or the embedded one started in-process. */
export interface Database {
  readonly client: MongoClient;
  readonly db: Db;
  readonly embedded: EmbeddedMongo | undefined;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedMongo | undefined;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedMongo({ dataDir: config.TALLY_DATA_DIR });
    uri = embedded.uri;
    logger.info(
      { uri, dataDir: config.TALLY_DATA_DIR ?? "(in memory: nothing survives a restart)", replayed: embedded.replayed },
      `embedded MongoDB-compatible database in use at ${uri} (set MONGODB_URI to use a real MongoDB)`,
    );
  }
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000, appName: "tally" });
  await client.connect();
  const db = client.db(config.MONGODB_DB);
  return {
    client,
    db,
    embedded,
    async close() {
      await client.close();
      await embedded?.stop();
    },
  };
}

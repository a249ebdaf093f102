import { createApp, type App } from "./app.js";
import { bootstrapRoot, type Credentials } from "./auth/bootstrap.js";
import type { Config } from "./platform/config.js";
import { ensureIndexes } from "./db/collections.js";
import { openDatabase, type Database } from "./db/connect.js";
import { listen, type Listener } from "./listen.js";
import type { Logger } from "./platform/logger.js";
import { TallyMetrics } from "./platform/metrics.js";

/** A started Tally: its URL, app, database, and a graceful stop. */
export interface RunningTally {
  readonly url: string;
  readonly port: number;
  readonly app: App;
  readonly database: Database;
  /** Set on first start of an empty database. */
  readonly admin: Credentials | undefined;
  /** Graceful stop: NOT_SERVING, stop accepting, drain, close the database. */
  stop(): Promise<void>;
}

/**
 * Opens the database, prepares it, builds the app and listens: what `npm start` and the tests run.
 * `started: false` keeps health NOT_SERVING until `app.health.setStarted()` (after a demo load).
 */
export async function startTally(
  config: Config,
  logger: Logger,
  out: (line: string) => void = () => {},
  opts: { readonly started?: boolean } = {},
): Promise<RunningTally> {
  let health: App["health"] | undefined;
  const database = await openDatabase(config, logger, (serving) => health?.setDatabaseServing(serving));
  const metrics = new TallyMetrics(() => database.embedded?.memory());
  database.client.on("commandSucceeded", (e) =>
    metrics.dbCommandSeconds.observe({ command: e.commandName, outcome: "ok" }, e.duration / 1000),
  );
  database.client.on("commandFailed", (e) =>
    metrics.dbCommandSeconds.observe({ command: e.commandName, outcome: "error" }, e.duration / 1000),
  );
  await ensureIndexes(database.db);
  const app = await createApp(config, logger, database.db, {
    traits: database.traits,
    metrics,
    started: opts.started,
  });
  health = app.health;
  const admin = await bootstrapRoot(app.directory, logger, out);
  const listener: Listener = await listen(app.handler, {
    host: config.HOST,
    port: config.PORT,
    tls:
      config.TLS_CERT_FILE && config.TLS_KEY_FILE
        ? { certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE }
        : undefined,
    limits: {
      sniffTimeoutMs: config.SNIFF_TIMEOUT_MS,
      headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      idleTimeoutMs: config.IDLE_TIMEOUT_MS,
      maxConcurrentStreams: config.H2_MAX_CONCURRENT_STREAMS,
      maxHeaderBytes: config.MAX_HEADER_BYTES,
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    url: listener.url,
    port: listener.port,
    app,
    database,
    admin,
    stop() {
      stopping ??= (async () => {
        app.health.setAllNotServing();
        await listener.close(config.SHUTDOWN_GRACE_MS);
        app.shutdown.abort();
        await database.close();
      })();
      return stopping;
    },
  };
}

import { loadConfig } from "./platform/config.js";
import { createLogger } from "./platform/logger.js";
import { startTally } from "./server.js";
import { loadDemo } from "./demo/load.js";

/** Process entry: config from the environment, start, and stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const demo = config.TALLY_DEMO === "on" || (config.TALLY_DEMO === "auto" && !config.MONGODB_URI);
  // With demo data, health (and /readyz) say NOT_SERVING until it is loaded.
  const tally = await startTally(config, logger, print, { started: !demo });
  if (demo) await loadDemo(tally, logger, print);
  tally.app.health.setStarted();
  logger.info({ url: tally.url }, `Tally listening on ${tally.url} (Connect, gRPC, gRPC-Web and REST on one port)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal means now.
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight calls");
    // Whatever hangs in the drain, the process still ends.
    setTimeout(() => {
      logger.error({ signal }, "shutdown did not finish in time; exiting");
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 5_000).unref();
    tally.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();

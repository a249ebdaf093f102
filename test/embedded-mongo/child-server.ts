// A durable embedded database in its own process, for the kill -9 test: prints its URI, then serves.
import { startEmbeddedMongo } from "../../server/src/embedded-mongo/index.js";

const m = await startEmbeddedMongo({ dataDir: process.argv[2] });
process.stdout.write(`${m.uri}\n`);

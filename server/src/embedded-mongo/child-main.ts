// Entry of the embedded database's own process (started by child.ts): serves the wire protocol on the
// port it is given, reports over IPC, stops (compacting the journal) when asked, and exits when its
// parent goes away (the journal already holds every acknowledged write).
import { startEmbeddedMongo, type EmbeddedMongoOptions } from "./server.js";

const opts = JSON.parse(process.env.TALLY_EMBEDDED_OPTIONS ?? "{}") as EmbeddedMongoOptions;
const mongo = await startEmbeddedMongo(opts);
process.on("disconnect", () => process.exit(0));
process.on("message", (m: { type: string }) => {
  if (m.type !== "stop") return;
  void mongo.stop().finally(() => process.exit(0));
});
process.send!({ type: "ready", port: mongo.port, replayed: mongo.replayed });
// Memory figures for the API's /metrics: now, then every few seconds.
const reportMemory = () => {
  const m = process.memoryUsage();
  process.send?.({ type: "memory", rss: m.rss, heapUsed: m.heapUsed });
};
reportMemory();
setInterval(reportMemory, 5_000).unref();

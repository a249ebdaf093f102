import type { Document } from "bson";
import { fallbackCounts } from "../engine/fallback.js";
import { MAX_BSON_OBJECT_BYTES, MAX_MESSAGE_BYTES } from "../wire.js";

/** `hello` (and legacy `isMaster`): a standalone 7.0 server's handshake. */
export function hello(legacy: boolean, connectionId: number): Document {
  return {
    helloOk: true,
    ...(legacy ? { ismaster: true } : {}),
    isWritablePrimary: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

/** `buildInfo`: MongoDB 7.0's shape, and what the engine says of itself (`tally`). */
export function buildInfo(): Document {
  return {
    version: "7.0.0",
    gitVersion: "tally-embedded",
    versionArray: [7, 0, 0, 0],
    bits: 64,
    maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
    // One thread runs every command: aggregates sent side by side do not run in parallel.
    tally: { parallelAggregates: false },
    ok: 1,
  };
}

/** `serverStatus`, with the engine's mingo fallbacks by construct. */
export function serverStatus(): Document {
  return {
    host: "embedded",
    version: "7.0.0",
    process: "tally-embedded",
    uptime: process.uptime(),
    tally: { engineFallbacks: fallbackCounts() },
    ok: 1,
  };
}

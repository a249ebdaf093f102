import { pino, type Logger } from "pino";

export type { Logger };

/** Header and field names whose values never reach a log line. */
const redactPaths = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "client_secret",
  "clientSecret",
  "*.client_secret",
  "*.clientSecret",
  "*.authorization",
  "password",
];

/** Creates the process logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: redactPaths, censor: "[redacted]" }, base: { service: "tally" } };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

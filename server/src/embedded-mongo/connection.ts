import type net from "node:net";
import { MAX_MESSAGE_BYTES } from "./wire.js";

/** Runs one complete wire message; returns a promise only while a sliced command is still running. */
export type MessageHandler = (msg: Buffer) => Promise<void> | undefined;

/**
 * Serves one client connection: frames wire messages out of the byte stream and runs them in order.
 * A length outside MongoDB's bounds closes the connection before anything is buffered for it.
 */
export function serveConnection(socket: net.Socket, handle: MessageHandler): void {
  socket.setNoDelay(true);
  // Chunks are kept in a list and joined once per complete message (re-concatenating on every
  // chunk is quadratic for multi-megabyte insert batches).
  const chunks: Buffer[] = [];
  let buffered = 0;
  const enqueue = inOrder(handle);
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 4) {
      const head = chunks[0]!.length >= 4 ? chunks[0]! : Buffer.concat(chunks);
      const len = head.readInt32LE(0);
      if (len < 16 || len > MAX_MESSAGE_BYTES) {
        socket.destroy();
        return;
      }
      if (buffered < len) break;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
      chunks.length = 0;
      const rest = all.subarray(len);
      if (rest.length) chunks.push(rest);
      buffered = rest.length;
      enqueue(all.subarray(0, len));
    }
  });
  socket.on("error", () => socket.destroy());
}

/**
 * Commands of one connection answer in order: while one runs (a sliced aggregation), the
 * connection's next messages wait for it; when none is running, a message runs at once.
 */
function inOrder(handle: MessageHandler): (msg: Buffer) => void {
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  return (msg) => {
    if (pending === 0) {
      const running = handle(msg);
      if (running) {
        pending++;
        queue = running.finally(() => pending--);
      }
      return;
    }
    pending++;
    queue = queue.then(() => handle(msg)).finally(() => pending--);
  };
}

import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import type { NodeRequest, NodeResponse } from "./platform/http.js";

/** Connection-level limits; every one bounds what a slow or hostile client can hold. */
export interface ConnectionLimits {
  /** A plaintext connection must show HTTP/1.1 or the HTTP/2 preface within this. */
  readonly sniffTimeoutMs: number;
  /** HTTP/1.1 request head deadline. */
  readonly headersTimeoutMs: number;
  /** Whole request (head and body) deadline, HTTP/1.1 and each HTTP/2 stream. */
  readonly requestTimeoutMs: number;
  /** Idle connection / session timeout. */
  readonly idleTimeoutMs: number;
  readonly maxConcurrentStreams: number;
  readonly maxHeaderBytes: number;
}

/** Timeouts and limits of the one listening port. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Defaults: {@link defaultConnectionLimits}. */
  readonly limits?: ConnectionLimits;
}

/** The limits Tally's configuration defaults to (see config.ts). */
export const defaultConnectionLimits: ConnectionLimits = {
  sniffTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  maxConcurrentStreams: 128,
  maxHeaderBytes: 16 * 1024,
};

/** The listening port: its URL and how to close it. */
export interface Listener {
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes every connection. */
  close(graceMs: number): Promise<void>;
}

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Serves HTTP/1.1 and HTTP/2 on one port. A front server accepts every connection and hands it to
 * an HTTP/1.1 or an HTTP/2 server that never listen themselves: under TLS, ALPN decides; in plaintext
 * the first bytes do (the HTTP/2 preface means h2c with prior knowledge, as gRPC clients send), because
 * `http2.createServer({allowHTTP1})` only falls back to HTTP/1.1 under TLS. Both paths get the same
 * timeouts and caps.
 */
export async function listen(
  handler: (req: NodeRequest, res: NodeResponse) => void,
  opts: ListenOptions,
): Promise<Listener> {
  const limits = opts.limits ?? defaultConnectionLimits;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const h1 = http1Server(handler, limits);
  const h2 = http2Server(handler, limits, sessions);
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const front = frontServer(opts, limits, track, (socket, isH2) => (isH2 ? h2 : h1).emit("connection", socket));
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(opts.port, opts.host, () => resolve());
  });
  const port = (front.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `${opts.tls ? "https" : "http"}://${hostForUrl}:${port}`,
    async close(graceMs: number): Promise<void> {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of sessions) s.close(); // GOAWAY: in-flight streams finish, new ones are refused.
      h1.closeIdleConnections();
      const idle = setInterval(() => h1.closeIdleConnections(), 50);
      const timer = setTimeout(() => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }, graceMs);
      h1.close();
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
    },
  };
}

/** The HTTP/1.1 server: handed its sockets by the front server, never listening itself. */
function http1Server(handler: (req: NodeRequest, res: NodeResponse) => void, limits: ConnectionLimits): http.Server {
  const h1 = http.createServer(
    {
      keepAliveTimeout: Math.min(5_000, limits.idleTimeoutMs),
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    handler,
  );
  // Node checks headersTimeout/requestTimeout from a timer it starts on 'listening'; this server is
  // handed its sockets instead of listening, so start that timer the same way (close() stops it).
  h1.emit("listening");
  return h1;
}

/**
 * The HTTP/2 server, with the HTTP/1.1 server's caps: header size, concurrent streams, a body deadline,
 * and an idle timeout that spares a session while a call is still running on it (a long call sends
 * nothing until it answers; its deadline bounds it instead).
 */
function http2Server(
  handler: (req: NodeRequest, res: NodeResponse) => void,
  limits: ConnectionLimits,
  sessions: Set<http2.Http2Session>,
): http2.Http2Server {
  const h2 = http2.createServer(
    {
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
      maxSessionMemory: 32,
    },
    (req, res) => {
      bodyDeadline(req, limits.requestTimeoutMs);
      handler(req, res);
    },
  );
  const openStreams = new WeakMap<http2.Http2Session, number>();
  h2.setTimeout(limits.idleTimeoutMs);
  h2.on("timeout", (s: http2.Http2Session) => {
    if (!openStreams.get(s)) s.close();
  });
  h2.on("stream", (stream: http2.ServerHttp2Stream) => {
    const s = stream.session;
    if (!s) return;
    openStreams.set(s, (openStreams.get(s) ?? 0) + 1);
    stream.once("close", () => openStreams.set(s, (openStreams.get(s) ?? 1) - 1));
  });
  h2.on("session", (s: http2.Http2Session) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  return h2;
}

/**
 * The listening server: under TLS, ALPN picks the protocol; in plaintext, the first bytes do. Every
 * socket is tracked from its first moment (so a shutdown can end one still being sniffed).
 */
function frontServer(
  opts: ListenOptions,
  limits: ConnectionLimits,
  track: (socket: net.Socket) => void,
  accept: (socket: net.Socket, isH2: boolean) => void,
): net.Server {
  if (!opts.tls)
    return net.createServer((socket) => {
      track(socket);
      sniff(socket, limits.sniffTimeoutMs, (isH2) => accept(socket, isH2));
    });
  const front = tls.createServer(
    { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile), ALPNProtocols: ["h2", "http/1.1"] },
    (socket) => {
      track(socket);
      accept(socket, socket.alpnProtocol === "h2");
    },
  );
  front.on("tlsClientError", (_e, socket) => socket.destroy());
  return front;
}

/**
 * Reads a plaintext connection's first bytes without consuming them: decides as soon as they either
 * are the whole HTTP/2 preface or stop matching it, then puts them back and calls `route`. Waits for
 * 'readable' (never re-reads what it already holds, so a partial preface cannot spin) and destroys
 * the socket if no decision is possible within `timeoutMs`.
 */
function sniff(socket: net.Socket, timeoutMs: number, route: (isH2: boolean) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const done = () => {
    clearTimeout(timer);
    socket.off("readable", onReadable);
    socket.off("end", onEnd);
  };
  const onEnd = () => {
    done();
    socket.destroy();
  };
  const onReadable = () => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) head = head.length ? Buffer.concat([head, chunk]) : chunk;
    if (head.length === 0) return;
    const n = Math.min(head.length, h2Preface.length);
    const isH2 = h2Preface.subarray(0, n).equals(head.subarray(0, n));
    if (isH2 && head.length < h2Preface.length) return; // a prefix of the preface: wait for more
    done();
    socket.unshift(head);
    route(isH2);
  };
  socket.on("readable", onReadable);
  socket.on("end", onEnd);
}

/** An HTTP/2 stream whose request body has not fully arrived within `ms` is reset. */
function bodyDeadline(req: http2.Http2ServerRequest, ms: number): void {
  if (req.complete || req.stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (!req.complete) req.stream.close(http2.constants.NGHTTP2_CANCEL);
  }, ms);
  timer.unref();
  req.stream.once("close", () => clearTimeout(timer));
  req.once("end", () => clearTimeout(timer));
}

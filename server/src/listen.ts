import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import type { NodeRequest, NodeResponse } from "./transcoding/rest-handler.js";

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface Listener {
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes every connection. */
  close(graceMs: number): Promise<void>;
}

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Serves HTTP/1.1 and HTTP/2 on one port. Plaintext: the first bytes decide (the HTTP/2 connection
 * preface means h2c with prior knowledge, as gRPC clients send; anything else is HTTP/1.1), because
 * `http2.createServer({allowHTTP1})` only falls back to HTTP/1.1 under TLS. With TLS, ALPN decides.
 */
export async function listen(handler: (req: NodeRequest, res: NodeResponse) => void, opts: ListenOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  let front: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;

  if (opts.tls) {
    h2 = http2.createSecureServer(
      { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile), allowHTTP1: true },
      handler as never,
    );
    front = h2 as unknown as net.Server;
  } else {
    h1 = http.createServer({ keepAliveTimeout: 5_000 }, handler as never);
    h2 = http2.createServer({}, handler as never);
    front = net.createServer((socket) => {
      socket.once("readable", () => route(socket));
    });
    const route = (socket: net.Socket): void => {
      const head: Buffer | null = socket.read(Math.min(h2Preface.length, socket.readableLength || 1));
      if (head === null) {
        socket.once("readable", () => route(socket));
        return;
      }
      const isH2 = head.length > 0 && h2Preface.subarray(0, head.length).equals(head);
      if (isH2 && head.length < h2Preface.length) {
        // Too few bytes to be sure yet: put them back and wait for more.
        socket.unshift(head);
        socket.once("readable", () => route(socket));
        return;
      }
      socket.unshift(head);
      (isH2 ? h2 : h1!).emit("connection", socket);
    };
  }
  h2.on("session", (s: http2.Http2Session) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  front.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

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
      h1?.closeIdleConnections();
      const idle = setInterval(() => h1?.closeIdleConnections(), 50);
      const timer = setTimeout(() => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }, graceMs);
      h1?.close();
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
    },
  };
}

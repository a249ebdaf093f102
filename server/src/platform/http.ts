import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request from Node's HTTP/1.1 or HTTP/2 compatibility API (one port serves both). */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A response of Node's HTTP/1.1 or HTTP/2 compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** A small JSON answer (the token endpoint's, the operations surface's): HEAD gets the headers only. */
export function writeJson(
  res: NodeResponse,
  method: string | undefined,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  if (res.headersSent) return void res.end();
  const payload = JSON.stringify(body);
  (res as ServerResponse).writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
    ...headers,
  });
  if (method === "HEAD") res.end();
  else res.end(payload);
}

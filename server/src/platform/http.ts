import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request from Node's HTTP/1.1 or HTTP/2 compatibility API (one port serves both). */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A response of Node's HTTP/1.1 or HTTP/2 compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

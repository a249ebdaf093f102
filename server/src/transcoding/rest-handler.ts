import type { ServerResponse } from "node:http";
import { fromJson, type JsonObject, type JsonValue, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { kProtocol } from "../platform/context.js";
import type { NodeRequest, NodeResponse } from "../platform/http.js";
import { invalidArgument, toConnectError } from "../platform/errors.js";
import { COMPRESS_MIN_BYTES, chooseEncoding, compress } from "./compression.js";
import type { InProcessDispatcher } from "./dispatch.js";
import { describeDecodeFailure } from "./offending-field.js";
import { BindError, bindParams } from "./query-binder.js";
import { messageToRestJson, stringifyRestJson, type RestJson } from "./rest-json.js";
import type { RestContext, RestReply, RestShape } from "./rest-shape.js";
import type { RestRoute, RouteTable } from "./rules.js";

/** What the REST handler routes with and how it dispatches. */
export interface RestHandlerOptions {
  readonly routes: RouteTable;
  readonly dispatcher: InProcessDispatcher;
  /** REST rules per service type name. */
  readonly shapes: ReadonlyMap<string, RestShape>;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
}

/** Headers not forwarded into the in-process call (transport-level or rewritten by the dispatcher). */
const dropHeaders = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "te",
  "content-type",
  "content-length",
  "expect",
]);

/**
 * The JSON/HTTP face of every service: matches the `google.api.http` rules, binds path, query and
 * body into the request message, calls the RPC in-process through the same interceptors, and writes
 * the API's REST shape.
 */
export function createRestHandler(opts: RestHandlerOptions): (req: NodeRequest, res: NodeResponse) => Promise<void> {
  const shapes = [...opts.shapes.values()];
  return async (req, res) => {
    const url = requestUrl(req);
    if (!url)
      return write(res, req.method, {
        status: 400,
        body: { code: Code.InvalidArgument, message: "malformed request URL", details: [] },
      });
    const method = req.method ?? "GET";
    let pathname = url.pathname;
    for (const s of shapes) pathname = s.alias?.(pathname) ?? pathname;
    const { match, allowed } = opts.routes.match(method, pathname);
    if (!match) return write(res, method, noRoute(shapes, method, url.pathname, allowed));
    const { route } = match;
    const shape = opts.shapes.get(route.method.parent.typeName) ?? {};
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith(":") || v === undefined) continue;
      headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const unknownQueryKeys: string[] = [];
    const ctx: RestContext = {
      httpMethod: method,
      url,
      headers,
      route,
      unknownQueryKeys,
      values: createContextValues().set(kProtocol, "rest"),
    };
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    let reply: RestReply;
    let requestId: string | null;
    try {
      const input = await bindRequest(req, opts, match, shape, ctx, unknownQueryKeys);
      const fwd = new Headers();
      for (const [k, v] of headers) if (!dropHeaders.has(k)) fwd.set(k, v);
      const result = await opts.dispatcher.unary(route.method, input, fwd, ctx.values, abort.signal, opts.deadlineMs);
      requestId = result.header.get("x-request-id");
      reply = privateToCaller(
        shape.response ? shape.response(result.message, ctx, result.header) : defaultReply(route, result.message),
      );
    } catch (e) {
      const err = e instanceof BindError ? new ConnectError(e.message, Code.InvalidArgument) : toConnectError(e);
      reply = withErrorHeaders(shape.error ? shape.error(err, ctx) : defaultErrorReply(err), err);
      requestId = err.metadata.get("x-request-id");
    }
    write(res, method, withRequestId(reply, requestId), headers.get("accept-encoding") ?? "");
  };
}

/** The request's URL, or undefined when its target or Host cannot make one. */
function requestUrl(req: NodeRequest): URL | undefined {
  const host = req.headers[":authority"] ?? req.headers.host ?? "localhost";
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  try {
    return new URL(req.url ?? "/", `${scheme}://${String(host)}`);
  } catch {
    return undefined;
  }
}

/**
 * The request message: path and query parameters, then the body (through the API's `parseBody`, if
 * any), then the API's `request` hook; a field that does not decode is named in the error.
 * `unknownQueryKeys` (the context's) is filled in for the shape's hooks.
 */
async function bindRequest(
  req: NodeRequest,
  opts: RestHandlerOptions,
  match: NonNullable<ReturnType<RouteTable["match"]>["match"]>,
  shape: RestShape,
  ctx: RestContext,
  unknownQueryKeys: string[],
) {
  const { route } = match;
  const json: JsonObject = {};
  const skip = new Set<string>(route.body && route.body !== "*" ? [route.body] : []);
  const bound = bindParams(route.method.input, json, match.pathParams, ctx.url.searchParams, skip);
  unknownQueryKeys.push(...bound.unknownKeys);
  if (route.body !== "") {
    const raw = await readBody(req, opts.maxBodyBytes);
    bindBody(route, json, shape.parseBody ? shape.parseBody(raw, ctx) : parseJson(raw));
  }
  shape.request?.(json, ctx);
  try {
    return fromJson(route.method.input, json, { ignoreUnknownFields: false });
  } catch {
    const { field, reason } = describeDecodeFailure(route.method.input, json);
    throw field
      ? invalidArgument(`invalid request field ${field}: ${reason}`, field)
      : invalidArgument(`invalid request: ${reason}`);
  }
}

/** Without a `response` hook: the output message's proto JSON (or its `response_body` field), 200. */
function defaultReply(route: RestRoute, message: Message): RestReply {
  const body = messageToRestJson(route.method.output, message, { useProtoFieldName: true, emitDefaults: true });
  return {
    status: 200,
    body: route.responseBody ? ((body as Record<string, RestJson>)[route.responseBody] ?? []) : body,
  };
}

/** The answer when no route matches: an API's own (its `notFound`), 405 with `Allow`, or 404. */
function noRoute(
  shapes: readonly RestShape[],
  method: string,
  pathname: string,
  allowed: readonly string[],
): RestReply {
  for (const s of shapes) {
    const own = s.notFound?.(method, pathname);
    if (own) return own;
  }
  if (allowed.length > 0) {
    return {
      status: 405,
      headers: { allow: allowed.join(", ") },
      body: {
        code: Code.Unimplemented,
        message: `method ${method} not allowed; use ${allowed.join(", ")}`,
        details: [],
      },
    };
  }
  return { status: 404, body: { code: Code.NotFound, message: `no route for ${method} ${pathname}`, details: [] } };
}

/** Puts the parsed body where the route's `body` rule says: the whole message (`*`) or one field. */
function bindBody(route: RestRoute, json: JsonObject, parsed: JsonValue): void {
  if (route.body === "*") {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ConnectError("request body must be a JSON object", Code.InvalidArgument);
    }
    Object.assign(json, parsed);
    return;
  }
  const field = route.method.input.fields.find((f) => f.name === route.body);
  if (!field) throw new Error(`body field ${route.body} missing in ${route.method.input.typeName}`);
  json[field.jsonName] = parsed;
}

/**
 * The generic REST error: HTTP status from the code, body `{"code", "message", "details": []}` as
 * the records note rules (gRPC-gateway's shape; field violations travel only over Connect and gRPC).
 */
export function defaultErrorReply(err: ConnectError): RestReply {
  return { status: codeToHttpStatus(err.code), body: { code: err.code, message: err.rawMessage, details: [] } };
}

/**
 * Every answer is the caller's own (it depends on the bearer token's tenant): shared caches must not
 * keep it for others. An API may allow the caller's own cache to keep it (`private, max-age=…`).
 */
function privateToCaller(reply: RestReply): RestReply {
  const cc = reply.headers?.["cache-control"];
  const vary = reply.headers?.vary;
  return {
    ...reply,
    headers: {
      ...reply.headers,
      "cache-control": cc?.startsWith("private") ? cc : "private, no-cache",
      vary: vary ? `${vary}, Authorization` : "Authorization",
    },
  };
}

/** Error metadata that is HTTP's business too, in every API's error answers. */
const errorHeaders = ["retry-after", "www-authenticate"];

function withErrorHeaders(reply: RestReply, err: ConnectError): RestReply {
  const extra: Record<string, string> = {};
  for (const h of errorHeaders) {
    const v = err.metadata.get(h);
    if (v !== null && !(reply.headers && h in reply.headers)) extra[h] = v;
  }
  return Object.keys(extra).length ? { ...reply, headers: { ...reply.headers, ...extra } } : reply;
}

function withRequestId(reply: RestReply, requestId: string | null): RestReply {
  return requestId ? { ...reply, headers: { ...reply.headers, "x-request-id": requestId } } : reply;
}

function parseJson(raw: string): JsonValue {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (e) {
    throw new ConnectError(`request body is not valid JSON: ${(e as Error).message}`, Code.InvalidArgument);
  }
}

async function readBody(req: NodeRequest, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ConnectError(`request body larger than ${limit} bytes`, Code.ResourceExhausted);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Writes a reply; HEAD gets the headers only. With `acceptEncoding`, a body of at least
 * COMPRESS_MIN_BYTES is sent br- or gzip-encoded as the client accepts (as Connect does for RPCs).
 */
export function write(
  res: NodeResponse,
  method: string | undefined,
  reply: RestReply,
  acceptEncoding?: string | null,
): void {
  if (res.headersSent) return void res.end();
  const body = reply.body === undefined ? "" : stringifyRestJson(reply.body);
  const headers: Record<string, string> = { "content-type": "application/json", ...reply.headers };
  const encoding =
    reply.body !== undefined && Buffer.byteLength(body) >= COMPRESS_MIN_BYTES
      ? chooseEncoding(acceptEncoding)
      : undefined;
  if (acceptEncoding !== undefined)
    headers.vary = headers.vary ? `${headers.vary}, Accept-Encoding` : "Accept-Encoding";
  const send = (payload: string | Buffer) => {
    if (reply.body !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
    (res as ServerResponse).writeHead(reply.status, headers);
    if (method === "HEAD" || reply.status === 304) res.end();
    else res.end(payload);
  };
  if (!encoding) {
    send(body);
    return;
  }
  headers["content-encoding"] = encoding;
  compress(body, encoding).then(send, () => {
    delete headers["content-encoding"];
    send(body);
  });
}

import type { JsonObject, JsonValue, Message } from "@bufbuild/protobuf";
import type { ConnectError, ContextValues } from "@connectrpc/connect";
import type { SchemaRegistry } from "./json-schema.js";
import type { RouteDoc } from "./openapi.js";
import type { RestJson } from "./rest-json.js";
import type { RestRoute } from "./rules.js";

/** What a REST hook knows of the HTTP request. */
export interface RestContext {
  readonly httpMethod: string;
  /** Absolute request URL (scheme and host from the request), for pagination links. */
  readonly url: URL;
  readonly headers: Headers;
  readonly route: RestRoute;
  /** Query keys that named no request field. */
  readonly unknownQueryKeys: readonly string[];
  /**
   * The call's context values: the seam through which a REST shape hands the service what only REST
   * knows (never a field of the contract).
   */
  readonly values: ContextValues;
}

/** An HTTP answer: status, extra headers and a body (undefined: no body). */
export interface RestReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: RestJson | undefined;
}

/**
 * One API's REST rules, registered beside its service. Every hook is optional; without one the generic
 * behaviour applies (JSON body, proto-JSON with snake_case names and exact int64 numbers, and the
 * default error body).
 */
export interface RestShape {
  /** Parses a raw body (e.g. NDJSON); default: JSON. Throw a ConnectError to refuse it. */
  parseBody?(raw: string, ctx: RestContext): JsonValue;
  /** Adjusts the bound request JSON before it becomes a message (aliases, headers such as Accept). */
  request?(json: JsonObject, ctx: RestContext): void;
  /** Shapes the success answer. */
  response?(message: Message, ctx: RestContext, header: Headers): RestReply;
  /** Shapes an error answer in the API's documented body. */
  error?(err: ConnectError, ctx: RestContext): RestReply;
  /**
   * Paths this API also answers under (e.g. other API versions of its upstream): the canonical path
   * to route `pathname` as, or undefined. Consulted before routing, for every request.
   */
  alias?(pathname: string): string | undefined;
  /** The OpenAPI description of a route's answers where they differ from the proto JSON. */
  describe?(route: RestRoute, answers: SchemaRegistry): RouteDoc;
  /** The API's own "no such route" answer for paths in its namespace (e.g. `/api/...`), or undefined. */
  notFound?(method: string, pathname: string): RestReply | undefined;
}

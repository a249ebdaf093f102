import { Code, type ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import type { RestJson } from "./rest-json.js";
import type { RestReply } from "./rest-shape.js";

/** How one API answers a code differently from the common mapping. */
export interface ErrorOverride {
  readonly status?: number;
  /** A fixed text instead of the error's message. */
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The error mapping every REST shape shares: the HTTP status Connect maps the code to, the API's own
 * error body around the message, and a fixed text for internal errors (never their cause). An API
 * names only where its upstream answers differently (`byCode`).
 */
export function errorReply(
  err: ConnectError,
  body: (status: number, message: string) => RestJson,
  opts: { readonly internal: string; readonly byCode?: Partial<Record<Code, ErrorOverride>> },
): RestReply {
  const o = opts.byCode?.[err.code];
  const internal = err.code === Code.Internal || err.code === Code.Unknown;
  const status = o?.status ?? (internal ? 500 : codeToHttpStatus(err.code));
  const message = o?.message ?? (internal ? opts.internal : err.rawMessage);
  return { status, body: body(status, message), ...(o?.headers ? { headers: { ...o.headers } } : {}) };
}

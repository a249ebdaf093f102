import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "../auth/principal.js";
import { kPrincipal } from "./context.js";

/** The caller, set by the auth interceptor (every API method requires one). */
export function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(kPrincipal);
  if (!p) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  return p;
}

/** Time left for the database: the call's deadline minus a margin, bounded below. */
export function dbTimeoutMs(ctx: HandlerContext, fallbackMs = 30_000): number {
  const left = ctx.timeoutMs();
  return left === undefined ? fallbackMs : Math.max(1, left - 50);
}

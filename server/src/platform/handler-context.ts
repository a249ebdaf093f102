import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "./principal.js";
import { kPrincipal } from "./context.js";

/** The caller, set by the auth interceptor (every API method requires one). */
export function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(kPrincipal);
  if (!p) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  return p;
}

export { dbTimeoutMs } from "./deadline.js";

import { createContextKey } from "@connectrpc/connect";
import type { Principal } from "./principal.js";

/** The authenticated caller; `undefined` before the auth interceptor ran or for public methods. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/** How the call arrived: "rest" for transcoded calls, else the RPC protocol. */
export const kProtocol = createContextKey<string>("rpc", { description: "protocol" });

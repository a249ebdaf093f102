import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { kPrincipal } from "../platform/context.js";
import type { Authenticator } from "./authenticator.js";
import { methodPermissions, publicServices } from "./permissions.js";

/**
 * One auth interceptor for every protocol (Connect, gRPC, gRPC-Web, and REST, which dispatches through
 * the same router): bearer token → Principal in `kPrincipal`, then the permission table. Methods
 * missing from the table are refused.
 */
export function createAuthInterceptor(auth: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (publicServices.has(req.service.typeName)) return next(req);
    const required = methodPermissions.get(`/${req.service.typeName}/${req.method.name}`);
    if (!required) throw new ConnectError("method not allowed", Code.PermissionDenied);
    const principal = await auth.authenticate(req.header.get("authorization"), req.header.get("client_id"));
    req.contextValues.set(kPrincipal, principal);
    const missing = required.filter((p) => !principal.permissions.has(p));
    if (missing.length)
      throw new ConnectError(`missing required Permissions: ${missing.join(", ")}`, Code.PermissionDenied);
    return next(req);
  };
}

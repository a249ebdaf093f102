import { Code, ConnectError } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { Principal } from "../platform/principal.js";
import type { TenantDirectory } from "./tenant-directory.js";
import type { Tokens } from "./tokens.js";

/** Turns an `Authorization` header into a Principal, or throws Unauthenticated. */
export class Authenticator {
  /** Client id → its tenant and state in the directory, for two seconds. */
  private readonly clients = new LRUCache<string, { active: boolean; tenantId: string | undefined }>({
    max: 10_000,
    ttl: 2_000,
  });

  constructor(
    private readonly tokens: Tokens,
    private readonly directory: TenantDirectory,
  ) {}

  /**
   * The caller, when the token verifies, its client is active, the token's tenant is that client's
   * tenant in the directory, and that tenant and every ancestor are active. Deactivating a client or
   * a tenant refuses its tokens within two seconds (at once on this replica).
   */
  async authenticate(authorization: string | null, clientIdHeader: string | null): Promise<Principal> {
    const m = authorization ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim()) : null;
    if (!m) throw unauthenticated();
    const claims = await this.tokens.verify(m[1]!);
    if (!claims) throw unauthenticated();
    // The seed's client sends `client_id` too; when present it must be the token's client.
    if (clientIdHeader !== null && clientIdHeader !== claims.sub) throw unauthenticated();
    const client = await this.client(claims.sub);
    if (!client.active || client.tenantId === undefined || client.tenantId !== claims.tenant) throw unauthenticated();
    const readable = await this.directory.readableTenants(client.tenantId);
    if (readable.length === 0) throw unauthenticated(); // the tenant or an ancestor is deactivated
    return {
      clientId: claims.sub,
      tenantId: client.tenantId,
      permissions: new Set(claims.permissions),
      readableTenantIds: readable,
      tokenId: claims.jti,
    };
  }

  private async client(clientId: string): Promise<{ active: boolean; tenantId: string | undefined }> {
    const hit = this.clients.get(clientId);
    if (hit) return hit;
    const c = await this.directory.clients.findOne({ _id: clientId }, { projection: { active: 1, tenantId: 1 } });
    const status = { active: Boolean(c?.active), tenantId: c?.tenantId };
    this.clients.set(clientId, status);
    return status;
  }

  invalidate(): void {
    this.clients.clear();
  }
}

/** Unauthenticated, with the `WWW-Authenticate: Bearer` challenge every 401 carries (RFC 6750 §3). */
export function unauthenticated(): ConnectError {
  const err = new ConnectError("unauthenticated: a valid bearer token is required", Code.Unauthenticated);
  err.metadata.set("www-authenticate", 'Bearer realm="tally"');
  return err;
}

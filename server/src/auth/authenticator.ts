import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "./principal.js";
import type { TenantDirectory } from "./tenant-directory.js";
import type { Tokens } from "./tokens.js";

/** Turns an `Authorization` header into a Principal, or throws Unauthenticated. */
export class Authenticator {
  private readonly clientActive = new Map<string, { at: number; active: boolean }>();

  constructor(
    private readonly tokens: Tokens,
    private readonly directory: TenantDirectory,
  ) {}

  async authenticate(authorization: string | null, clientIdHeader: string | null): Promise<Principal> {
    const m = authorization ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim()) : null;
    if (!m) throw unauthenticated();
    const claims = await this.tokens.verify(m[1]!);
    if (!claims) throw unauthenticated();
    // The seed's client sends `client_id` too; when present it must be the token's client.
    if (clientIdHeader !== null && clientIdHeader !== claims.sub) throw unauthenticated();
    if (!(await this.isClientActive(claims.sub, claims.tenant))) throw unauthenticated();
    const readable = await this.directory.readableTenants(claims.tenant);
    return {
      clientId: claims.sub,
      tenantId: claims.tenant,
      permissions: new Set(claims.permissions),
      readableTenantIds: readable,
      tokenId: claims.jti,
    };
  }

  /** Disabling a client revokes its tokens within two seconds. */
  private async isClientActive(clientId: string, tenantId: string): Promise<boolean> {
    const hit = this.clientActive.get(clientId);
    if (hit && Date.now() - hit.at < 2_000) return hit.active;
    const c = await this.directory.clients.findOne({ _id: clientId }, { projection: { active: 1, tenantId: 1 } });
    const active = Boolean(c?.active && c.tenantId === tenantId);
    this.clientActive.set(clientId, { at: Date.now(), active });
    return active;
  }

  invalidate(): void {
    this.clientActive.clear();
  }
}

export function unauthenticated(): ConnectError {
  return new ConnectError("unauthenticated: a valid bearer token is required", Code.Unauthenticated);
}

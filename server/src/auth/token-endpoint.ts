import type { NodeRequest, NodeResponse } from "../platform/http.js";
import { write } from "../transcoding/rest-handler.js";
import type { Logger } from "../platform/logger.js";
import { permissionsOfRoles, type Permission } from "./permissions.js";
import { HashQueue } from "./hash-queue.js";
import { LoginGuard } from "./login-guard.js";
import { decoyHash, verifySecret } from "./secrets.js";
import type { SigningKeys } from "./signing-keys.js";
import type { TenantDirectory } from "./tenant-directory.js";
import type { Tokens } from "./tokens.js";

const MAX_FORM_BYTES = 8 * 1024;

/** OAuth2 error answer per RFC 6749 §5.2. */
function oauthError(status: number, error: string, description: string, extra: Record<string, string> = {}) {
  return {
    status,
    headers: { "cache-control": "no-store", pragma: "no-cache", ...extra },
    body: { error, error_description: description },
  };
}

/**
 * `POST /oauth2/token` (RFC 6749 §4.4, client credentials) and `GET /.well-known/jwks.json`.
 * Unknown client and wrong secret take the same path (a decoy hash is checked) and the same answer.
 * Repeated failures of one client id from one address, or from one address overall, are answered 429
 * with Retry-After (LoginGuard); secrets are verified through a bounded queue (HashQueue), so a flood
 * of bad attempts is refused instead of delaying good ones.
 */
export class TokenEndpoint {
  private readonly guard = new LoginGuard({ perPair: 10, perSource: 100, windowMs: 60_000 });
  private readonly hashes = new HashQueue(2, 32);

  constructor(
    private readonly directory: TenantDirectory,
    private readonly tokens: Tokens,
    private readonly keys: SigningKeys,
    private readonly logger: Logger,
  ) {}

  /** Returns true when it handled the request. */
  async handle(req: NodeRequest, res: NodeResponse, pathname: string): Promise<boolean> {
    if (pathname === "/.well-known/jwks.json") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        write(res, req.method, { status: 405, headers: { allow: "GET" }, body: { error: "method_not_allowed" } });
      } else {
        write(res, req.method, {
          status: 200,
          headers: { "cache-control": "public, max-age=60" },
          body: this.keys.publicJwks() as never,
        });
      }
      return true;
    }
    if (pathname !== "/oauth2/token") return false;
    write(res, req.method, await this.token(req));
    return true;
  }

  private async token(req: NodeRequest) {
    if (req.method !== "POST") {
      return oauthError(405, "invalid_request", "the token endpoint accepts POST only", { allow: "POST" });
    }
    const ctype = String(req.headers["content-type"] ?? "")
      .split(";")[0]!
      .trim()
      .toLowerCase();
    if (ctype !== "application/x-www-form-urlencoded") {
      return oauthError(400, "invalid_request", "the request body must be application/x-www-form-urlencoded");
    }
    let raw = "";
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) return oauthError(400, "invalid_request", "request body too large");
      raw += chunk.toString("utf8");
    }
    const form = new URLSearchParams(raw);
    for (const k of ["grant_type", "client_id", "client_secret", "scope"]) {
      if (form.getAll(k).length > 1) return oauthError(400, "invalid_request", `parameter ${k} is repeated`);
    }
    const grantType = form.get("grant_type");
    if (!grantType) return oauthError(400, "invalid_request", "grant_type is required");
    if (grantType !== "client_credentials")
      return oauthError(400, "unsupported_grant_type", "only client_credentials is supported");

    const basic = parseBasic(req.headers.authorization);
    const bodyId = form.get("client_id");
    const bodySecret = form.get("client_secret");
    if (basic === null) return oauthError(400, "invalid_request", "malformed Basic authorization header");
    if (basic && (bodyId !== null || bodySecret !== null)) {
      // RFC 6749 §2.3: one authentication method per request. A client_id alone in the body may repeat the Basic one.
      if (bodySecret !== null || bodyId !== basic.id)
        return oauthError(400, "invalid_request", "use HTTP Basic or body credentials, not both");
    }
    const clientId = basic ? basic.id : bodyId;
    const secret = basic ? basic.secret : bodySecret;
    if (!clientId || !secret) return this.invalidClient(Boolean(basic));
    if (clientId.length > 128 || secret.length > 512) return this.invalidClient(Boolean(basic));

    const source = req.socket?.remoteAddress ?? "unknown";
    const retryAfter = this.guard.retryAfter(clientId, source);
    if (retryAfter > 0) {
      return oauthError(429, "invalid_client", "too many failed attempts; retry later", {
        "retry-after": String(retryAfter),
      });
    }
    const checked = await this.hashes.run(this.guard.isTrusted(clientId, source), async () => {
      const client = await this.directory.clients.findOne({ _id: clientId });
      const ok = await verifySecret(secret, client?.secretHash ?? (await decoyHash));
      if (!client || !ok || !client.active) return null;
      // A deactivated tenant (or one under a deactivated ancestor) gets no tokens: the same answer.
      return (await this.directory.readableTenants(client.tenantId)).length > 0 ? client : null;
    });
    if (checked === undefined) {
      return oauthError(429, "temporarily_unavailable", "too many token requests in progress; retry later", {
        "retry-after": "1",
      });
    }
    const client = checked;
    if (!client) {
      this.guard.failed(clientId, source);
      this.logger.warn({ clientId: clientId.slice(0, 64), source }, "token request refused");
      return this.invalidClient(Boolean(basic));
    }
    this.guard.succeeded(clientId, source);
    const granted = [...permissionsOfRoles(client.roles)];
    let permissions: Permission[] = granted;
    const scope = form.get("scope");
    if (scope !== null && scope.trim() !== "") {
      const asked = scope.trim().split(/\s+/);
      const unknown = asked.filter((s) => !granted.includes(s as Permission));
      if (unknown.length)
        return oauthError(400, "invalid_scope", `scope not granted to this client: ${unknown.join(" ")}`);
      permissions = asked as Permission[];
    }
    const { token, expiresIn } = await this.tokens.issue(client._id, client.tenantId, permissions);
    return {
      status: 200,
      headers: { "cache-control": "no-store", pragma: "no-cache" },
      body: { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope: permissions.join(" ") },
    };
  }

  private invalidClient(usedBasic: boolean) {
    return oauthError(401, "invalid_client", "client authentication failed", {
      "www-authenticate": usedBasic ? 'Basic realm="tally"' : 'Basic realm="tally", error="invalid_client"',
    });
  }
}

/** undefined: no Basic header; null: a malformed one. */
function parseBasic(h: string | undefined): { id: string; secret: string } | undefined | null {
  if (!h || !/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

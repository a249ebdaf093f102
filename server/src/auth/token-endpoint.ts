import { type NodeRequest, type NodeResponse, writeJson } from "../platform/http.js";
import type { Logger } from "../platform/logger.js";
import { permissionsOfRoles, type Permission } from "./permissions.js";
import { HashQueue } from "./hash-queue.js";
import { LoginGuard } from "./login-guard.js";
import { decoyHash, verifySecret } from "./secrets.js";
import type { SigningKeys } from "./signing-keys.js";
import type { TenantDirectory } from "./tenant-directory.js";
import type { Tokens } from "./tokens.js";

const MAX_FORM_BYTES = 8 * 1024;

/** A token endpoint answer. */
interface TokenReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** OAuth2 error answer per RFC 6749 §5.2. */
function oauthError(
  status: number,
  error: string,
  description: string,
  extra: Record<string, string> = {},
): TokenReply {
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
    let reply: TokenReply;
    if (pathname === "/.well-known/jwks.json") {
      reply =
        req.method !== "GET" && req.method !== "HEAD"
          ? { status: 405, headers: { allow: "GET" }, body: { error: "method_not_allowed" } }
          : { status: 200, headers: { "cache-control": "public, max-age=60" }, body: this.keys.publicJwks() };
    } else if (pathname === "/oauth2/token") reply = await this.token(req);
    else return false;
    writeJson(res, req.method, reply.status, reply.headers, reply.body);
    return true;
  }

  /** Form, grant type and credentials checked in that order; the first failure is the answer. */
  private async token(req: NodeRequest): Promise<TokenReply> {
    if (req.method !== "POST") {
      return oauthError(405, "invalid_request", "the token endpoint accepts POST only", { allow: "POST" });
    }
    const form = await readForm(req);
    if (!(form instanceof URLSearchParams)) return form;
    const grantType = form.get("grant_type");
    if (!grantType) return oauthError(400, "invalid_request", "grant_type is required");
    if (grantType !== "client_credentials")
      return oauthError(400, "unsupported_grant_type", "only client_credentials is supported");
    const creds = credentialsOf(req, form);
    if (!("clientId" in creds)) return creds;
    if (!creds.clientId || !creds.secret || creds.clientId.length > 128 || creds.secret.length > 512)
      return this.invalidClient(creds.basic);
    const source = req.socket?.remoteAddress ?? "unknown";
    const client = await this.authenticate(creds.clientId, creds.secret, source);
    if (client === "busy" || client === "locked") return this.refusedFor(client, creds.clientId, source);
    if (!client) {
      this.guard.failed(creds.clientId, source);
      this.logger.warn({ clientId: creds.clientId.slice(0, 64), source }, "token request refused");
      return this.invalidClient(creds.basic);
    }
    this.guard.succeeded(creds.clientId, source);
    const permissions = scopeOf(client.roles, form.get("scope"));
    if (!Array.isArray(permissions)) return permissions;
    const { token, expiresIn } = await this.tokens.issue(client._id, client.tenantId, permissions);
    return {
      status: 200,
      headers: { "cache-control": "no-store", pragma: "no-cache" },
      body: { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope: permissions.join(" ") },
    };
  }

  /**
   * The client, when the secret matches, the client is active and its tenant (and every ancestor) is
   * too; null otherwise (unknown clients check a decoy hash: the same time, the same answer). "locked"
   * after repeated failures; "busy" when the hash queue is full.
   */
  private async authenticate(clientId: string, secret: string, source: string) {
    if (this.guard.retryAfter(clientId, source) > 0) return "locked" as const;
    const checked = await this.hashes.run(this.guard.isTrusted(clientId, source), async () => {
      const client = await this.directory.clients.findOne({ _id: clientId });
      const ok = await verifySecret(secret, client?.secretHash ?? (await decoyHash));
      if (!client || !ok || !client.active) return null;
      return (await this.directory.readableTenants(client.tenantId)).length > 0 ? client : null;
    });
    return checked === undefined ? ("busy" as const) : checked;
  }

  private refusedFor(why: "busy" | "locked", clientId: string, source: string): TokenReply {
    if (why === "busy")
      return oauthError(429, "temporarily_unavailable", "too many token requests in progress; retry later", {
        "retry-after": "1",
      });
    return oauthError(429, "invalid_client", "too many failed attempts; retry later", {
      "retry-after": String(this.guard.retryAfter(clientId, source)),
    });
  }

  private invalidClient(usedBasic: boolean): TokenReply {
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

/** The form body, at most MAX_FORM_BYTES, each parameter at most once. */
async function readForm(req: NodeRequest): Promise<URLSearchParams | TokenReply> {
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
  return form;
}

/** The client's id and secret from HTTP Basic or the form, never both (RFC 6749 §2.3). */
function credentialsOf(
  req: NodeRequest,
  form: URLSearchParams,
): { clientId: string | null; secret: string | null; basic: boolean } | TokenReply {
  const basic = parseBasic(req.headers.authorization);
  const bodyId = form.get("client_id");
  const bodySecret = form.get("client_secret");
  if (basic === null) return oauthError(400, "invalid_request", "malformed Basic authorization header");
  // A client_id alone in the body may repeat the Basic one.
  if (basic && (bodySecret !== null || (bodyId !== null && bodyId !== basic.id)))
    return oauthError(400, "invalid_request", "use HTTP Basic or body credentials, not both");
  return basic
    ? { clientId: basic.id, secret: basic.secret, basic: true }
    : { clientId: bodyId, secret: bodySecret, basic: false };
}

/** The permissions a token carries: all the roles grant, or the asked `scope` if every one is granted. */
function scopeOf(roles: readonly string[], scope: string | null): Permission[] | TokenReply {
  const granted = [...permissionsOfRoles(roles)];
  if (scope === null || scope.trim() === "") return granted;
  const asked = scope.trim().split(/\s+/);
  const unknown = asked.filter((s) => !granted.includes(s as Permission));
  if (unknown.length) return oauthError(400, "invalid_scope", `scope not granted to this client: ${unknown.join(" ")}`);
  return asked as Permission[];
}

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Supplies bearer tokens; `force` asks for a fresh one (after the server refused the last). */
export type TokenProvider = (force: boolean) => Promise<string>;

/** How the SDK gets tokens itself: the OAuth2 client-credentials grant against Tally's token endpoint. */
export interface ClientCredentialsOptions {
  /** Where `/oauth2/token` lives (the server's base URL). */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Optional narrower scope (space-separated permissions). */
  readonly scope?: string;
  /** Refresh this long before expiry (default 60 s). */
  readonly refreshSkewMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * OAuth2 client credentials with a cache: one token until shortly before it expires, and one refresh
 * in flight at a time however many calls need it. The secret never appears in errors.
 */
export function clientCredentials(opts: ClientCredentialsOptions): TokenProvider {
  const now = opts.now ?? Date.now;
  const skew = opts.refreshSkewMs ?? 60_000;
  const doFetch = opts.fetch ?? globalThis.fetch;
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const refresh = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
    });
    if (opts.scope) body.set("scope", opts.scope);
    let res: Response;
    try {
      res = await doFetch(new URL("/oauth2/token", opts.baseUrl), {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    } catch (e) {
      throw new ConnectError(`token endpoint unreachable: ${(e as Error).message}`, Code.Unavailable);
    }
    const json = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || !json.access_token) {
      const code =
        res.status === 429 ? Code.ResourceExhausted : res.status >= 500 ? Code.Unavailable : Code.Unauthenticated;
      throw new ConnectError(
        `token request for client ${opts.clientId} failed: ${json.error ?? res.status}${json.error_description ? ` (${json.error_description})` : ""}`,
        code,
      );
    }
    cached = { token: json.access_token, expiresAt: now() + (json.expires_in ?? 300) * 1000 };
    return json.access_token;
  };

  return async (force) => {
    if (!force && cached && now() < cached.expiresAt - skew) return cached.token;
    inflight ??= refresh().finally(() => (inflight = undefined));
    return inflight;
  };
}

/** Adds `Authorization: Bearer`; after Unauthenticated, retries the call once with a fresh token. */
export function authInterceptor(tokens: TokenProvider): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${await tokens(false)}`);
    try {
      return await next(req);
    } catch (e) {
      if (!(e instanceof ConnectError) || e.code !== Code.Unauthenticated || req.stream) throw e;
      req.header.set("authorization", `Bearer ${await tokens(true)}`);
      return next(req);
    }
  };
}

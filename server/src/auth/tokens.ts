import { randomUUID } from "node:crypto";
import { SignJWT, decodeProtectedHeader, jwtVerify } from "jose";
import { z } from "zod";
import { allPermissions, type Permission } from "./permissions.js";
import type { SigningKeys } from "./signing-keys.js";

/** Tokens larger than this are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8 * 1024;
const CLOCK_SKEW_SECONDS = 30;

/** Issuer, audience and lifetime of the access tokens Tally signs. */
export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

const claimsZod = z.object({
  sub: z.string().min(1).max(128),
  tenant: z.string().min(1).max(128),
  permissions: z.array(z.enum(allPermissions)).max(64),
  jti: z.string().min(1).max(128),
});

/** The claims of a verified access token. */
export type TokenClaims = z.infer<typeof claimsZod>;

const CACHE_ENTRIES = 10_000;

/** Issues and verifies ES256 access tokens. */
export class Tokens {
  /**
   * Tokens whose signature and claims were verified, with their expiry: an ES256 verification costs
   * about a millisecond, and a client sends the same token for its lifetime. A hit still checks
   * expiry (with the skew) and that the signing key is still published.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; exp: number; kid: string }>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: TokenSettings,
  ) {}

  async issue(
    clientId: string,
    tenantId: string,
    permissions: readonly Permission[],
  ): Promise<{ token: string; expiresIn: number }> {
    const { kid, privateKey } = this.keys.activeKey();
    const token = await new SignJWT({ tenant: tenantId, permissions: [...permissions] })
      .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(clientId)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .setJti(randomUUID())
      .sign(privateKey);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /**
   * Verifies a bearer token; returns its claims or undefined for anything wrong (the caller answers
   * Unauthenticated without saying why). Only ES256 with a known `kid`; `jku`, `x5u` and embedded
   * `jwk` headers are never used to find a key.
   */
  async verify(token: string): Promise<TokenClaims | undefined> {
    if (token.length === 0 || token.length > MAX_TOKEN_BYTES) return undefined;
    const hit = this.verified.get(token);
    if (hit) {
      if (Date.now() / 1000 < hit.exp + CLOCK_SKEW_SECONDS && (await this.keys.publicKey(hit.kid))) return hit.claims;
      this.verified.delete(token);
      return undefined;
    }
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== "ES256" || typeof header.kid !== "string") return undefined;
      const key = await this.keys.publicKey(header.kid);
      if (!key) return undefined;
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["ES256"],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["exp", "iat", "sub", "jti"],
        // RFC 9068 access tokens only; issued no later than now (with the skew), no older than a TTL.
        typ: "at+jwt",
        maxTokenAge: this.settings.ttlSeconds + CLOCK_SKEW_SECONDS,
      });
      if (payload.iat! > Date.now() / 1000 + CLOCK_SKEW_SECONDS) return undefined;
      if (payload.exp! - payload.iat! > this.settings.ttlSeconds + CLOCK_SKEW_SECONDS) return undefined;
      const parsed = claimsZod.safeParse(payload);
      if (!parsed.success) return undefined;
      if (this.verified.size >= CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { claims: parsed.data, exp: payload.exp!, kid: header.kid });
      return parsed.data;
    } catch {
      return undefined;
    }
  }
}

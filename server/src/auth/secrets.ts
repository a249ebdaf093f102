import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const N = 16384;
const r = 8;
const p = 1;
const KEYLEN = 32;
/** scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is raised so stronger parameters fit. */
const MAXMEM = 64 * 1024 * 1024;

/** A new client secret: 256 random bits, base64url. Shown once, never stored in clear. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEYLEN, { N, r, p, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** A hash of a random secret, compared against when the client id is unknown, so both paths cost the same. */
export const decoyHash = hashSecret(newSecret());

/** Constant-time comparison of a presented secret with a stored hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  const actual = await derive(secret, salt);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** A private key sealed with AES-256-GCM under the key-encryption key. */
export interface SealedKey {
  readonly v: 1;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

/**
 * The key-encryption key (KEK) that seals private signing keys before they reach the database, so
 * read access to the database (or a copy of its files) yields no key that can sign tokens. It lives
 * outside the database: in `TALLY_KEK` / `TALLY_KEK_FILE` (32 random bytes, base64), or, for the
 * zero-setup embedded database, in a file generated beside the data directory with mode 0600.
 */
export class KeyEncryptionKey {
  private constructor(private readonly key: Buffer) {}

  /** From base64 text of exactly 32 bytes. */
  static fromBase64(text: string): KeyEncryptionKey {
    const key = Buffer.from(text.trim(), "base64");
    if (key.length !== 32) throw new Error("the key-encryption key must be 32 bytes, base64-encoded");
    return new KeyEncryptionKey(key);
  }

  /** Reads the KEK file, creating it (0600) with a fresh key when `create` and it does not exist. */
  static fromFile(path: string, create: boolean): KeyEncryptionKey {
    if (!existsSync(path)) {
      if (!create) throw new Error(`the key-encryption key file ${path} does not exist`);
      writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    }
    return KeyEncryptionKey.fromBase64(readFileSync(path, "utf8"));
  }

  /** A key that lives only as long as this process (an in-memory database dies with it too). */
  static ephemeral(): KeyEncryptionKey {
    return new KeyEncryptionKey(randomBytes(32));
  }

  seal(plain: string): SealedKey {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([c.update(plain, "utf8"), c.final()]);
    return { v: 1, iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") };
  }

  /** Throws when the sealed key was sealed under another KEK or was altered. */
  open(sealed: SealedKey): string {
    const d = createDecipheriv("aes-256-gcm", this.key, Buffer.from(sealed.iv, "base64"));
    d.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([d.update(Buffer.from(sealed.data, "base64")), d.final()]).toString("utf8");
  }
}

import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { Db } from "mongodb";
import type { KeyEncryptionKey, SealedKey } from "./key-encryption.js";

interface SigningKeyDoc {
  _id: string;
  /** The private key, sealed under the KEK (never stored in clear). */
  privateSealed?: SealedKey;
  /** Written by versions before the KEK; sealed and removed at the next start. */
  privateJwk?: JWK;
  publicJwk: JWK;
  createdAt: Date;
  /** After rotation: when the last token signed with it expires; the key is dropped from JWKS then. */
  retiresAt: Date | null;
}

/** The key tokens are signed with now: its id and private key. */
export interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

/**
 * ES256 signing keys kept in the database, private parts sealed under the KEK: created on first
 * start, rotated on demand. Only the active key signs; a rotated key only verifies, until every token
 * it signed has expired, and is then dropped from JWKS.
 */
export class SigningKeys {
  private active: ActiveKey | undefined;
  private publicKeys = new Map<string, CryptoKey>();
  private jwks: { keys: JWK[] } = { keys: [] };
  private loadedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly tokenTtlSeconds: number,
    private readonly kek: KeyEncryptionKey,
  ) {}

  private get coll() {
    return this.db.collection<SigningKeyDoc>("signing_keys");
  }

  /** Loads keys, creating the first one when none exists. */
  async init(): Promise<void> {
    // Keys stored in clear by earlier versions are sealed now.
    for (const d of await this.coll.find({ privateJwk: { $exists: true } }).toArray()) {
      await this.coll.updateOne(
        { _id: d._id },
        { $set: { privateSealed: this.kek.seal(JSON.stringify(d.privateJwk)) }, $unset: { privateJwk: "" } },
      );
    }
    if ((await this.coll.countDocuments({ retiresAt: null })) === 0) await this.create();
    await this.reload();
  }

  async reload(): Promise<void> {
    const now = new Date();
    const docs = await this.coll
      .find({ $or: [{ retiresAt: null }, { retiresAt: { $gt: now } }] })
      .sort({ createdAt: -1 })
      .toArray();
    const publicKeys = new Map<string, CryptoKey>();
    for (const d of docs) publicKeys.set(d._id, (await importJWK(d.publicJwk, "ES256")) as CryptoKey);
    const current = docs.find((d) => d.retiresAt === null);
    if (!current) throw new Error("no active signing key");
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(this.kek.open(current.privateSealed!)) as JWK;
    } catch {
      throw new Error(
        "the active signing key cannot be opened with this key-encryption key (TALLY_KEK / TALLY_KEK_FILE)",
      );
    }
    this.active = { kid: current._id, privateKey: (await importJWK(privateJwk, "ES256")) as CryptoKey };
    this.publicKeys = publicKeys;
    this.jwks = { keys: docs.map((d) => ({ ...d.publicJwk, kid: d._id, alg: "ES256", use: "sig" })) };
    this.loadedAt = Date.now();
  }

  /** Retires the active key (valid until its tokens expire) and creates a new one. */
  async rotate(): Promise<string> {
    const retiresAt = new Date(Date.now() + (this.tokenTtlSeconds + 60) * 1000);
    await this.coll.updateMany({ retiresAt: null }, { $set: { retiresAt } });
    const kid = await this.create();
    await this.reload();
    return kid;
  }

  private async create(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const kid = randomUUID();
    await this.coll.insertOne({
      _id: kid,
      privateSealed: this.kek.seal(JSON.stringify(await exportJWK(privateKey))),
      publicJwk: await exportJWK(publicKey),
      createdAt: new Date(),
      retiresAt: null,
    });
    return kid;
  }

  activeKey(): ActiveKey {
    if (!this.active) throw new Error("signing keys not initialised");
    return this.active;
  }

  /** The public key for a `kid`; refreshes from the database at most every 30 s for keys rotated elsewhere. */
  async publicKey(kid: string): Promise<CryptoKey | undefined> {
    const k = this.publicKeys.get(kid);
    if (k || Date.now() - this.loadedAt < 30_000) return k;
    await this.reload();
    return this.publicKeys.get(kid);
  }

  publicJwks(): { keys: JWK[] } {
    return this.jwks;
  }
}

import { Code, ConnectError } from "@connectrpc/connect";
import type { AnyBulkWriteOperation, Db, Document, Filter } from "mongodb";
import type { Principal } from "../auth/principal.js";
import { toConnectError } from "../platform/errors.js";
import type { CollectionName } from "./collections.js";

/** Stages that could read or write outside the tenant `$match`; refused in every scoped pipeline. */
const escapingStages = new Set(["$lookup", "$unionWith", "$graphLookup", "$out", "$merge", "$documents", "$currentOp", "$collStats", "$indexStats", "$listSessions", "$planCacheStats"]);

export interface ScopeOptions {
  /** Remaining call time; becomes `maxTimeMS` so the database stops when the caller gives up. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The only door from service code to data. Reads are pipelines with `{$match: {tenantId: {$in:
 * readable}}}` prepended; writes stamp `tenantId`. Service code never holds a Collection, so a handler
 * cannot forget the tenant filter.
 */
export class TenantScope {
  constructor(
    private readonly db: Db,
    readonly principal: Principal,
    private readonly defaultTimeoutMs = 30_000,
  ) {}

  /** Tenants whose data this caller reads. */
  get readable(): readonly string[] {
    return this.principal.readableTenantIds;
  }

  /** Runs a read pipeline over the caller's readable tenants (optionally narrowed to `tenantIds`). */
  async aggregate<T extends Document = Document>(
    collection: CollectionName,
    pipeline: readonly Document[],
    opts: ScopeOptions & { readonly tenantIds?: readonly string[] } = {},
  ): Promise<T[]> {
    for (const stage of pipeline) assertSafeStage(stage);
    const tenants = opts.tenantIds ? opts.tenantIds.filter((t) => this.readable.includes(t)) : this.readable;
    const scoped = [{ $match: { tenantId: { $in: [...tenants] } } }, ...pipeline];
    const maxTimeMS = Math.max(1, Math.floor(opts.timeoutMs ?? this.defaultTimeoutMs));
    try {
      return await this.db.collection(collection).aggregate<T>(scoped, { maxTimeMS, allowDiskUse: true, signal: opts.signal }).toArray();
    } catch (e) {
      throw toConnectError(e);
    }
  }

  /** The tenant a write goes to: the caller's own, or a named descendant it may read. */
  writeTenant(requested?: string): string {
    if (!requested || requested === this.principal.tenantId) return this.principal.tenantId;
    if (!this.readable.includes(requested)) throw new ConnectError("tenant not found", Code.NotFound);
    return requested;
  }

  /**
   * Upserts documents by natural key within one tenant: each op's filter and document get `tenantId`.
   * Returns inserted/updated counts.
   */
  async upsertMany(
    collection: CollectionName,
    tenantId: string,
    items: readonly { readonly key: Filter<Document>; readonly doc?: Document; readonly update?: Document; readonly pipeline?: Document[] }[],
  ): Promise<{ inserted: number; updated: number }> {
    if (items.length === 0) return { inserted: 0, updated: 0 };
    const ops: AnyBulkWriteOperation[] = items.map((it) => {
      const filter = { ...it.key, tenantId };
      // A pipeline update's upsert is seeded from the filter's equality fields, tenantId included.
      if (it.pipeline) return { updateOne: { filter, update: it.pipeline, upsert: true } };
      if (it.update) return { updateOne: { filter, update: { ...it.update, $setOnInsert: { ...(it.update.$setOnInsert ?? {}), tenantId } }, upsert: true } };
      return { replaceOne: { filter, replacement: { ...it.doc, ...it.key, tenantId }, upsert: true } };
    });
    try {
      const res = await this.db.collection(collection).bulkWrite(ops, { ordered: false });
      return { inserted: res.upsertedCount, updated: res.matchedCount };
    } catch (e) {
      throw toConnectError(e);
    }
  }

  /** Inserts one document for `tenantId` (stamped); a unique-key clash is AlreadyExists. */
  async insert(collection: CollectionName, tenantId: string, doc: Document): Promise<void> {
    try {
      await this.db.collection(collection).insertOne({ ...doc, tenantId });
    } catch (e) {
      if ((e as { code?: number }).code === 11000) throw new ConnectError("already exists", Code.AlreadyExists);
      throw toConnectError(e);
    }
  }

  /** The next value of a named sequence (ids that clients see as numbers, e.g. delivery services). */
  async nextSequence(name: string): Promise<number> {
    try {
      const res = await this.db
        .collection<{ _id: string; seq: number }>("counters")
        .findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: "after" });
      return res!.seq;
    } catch (e) {
      throw toConnectError(e);
    }
  }

  /** Records a batch id once; false when the batch was seen before (a replay). */
  async claimBatch(api: string, batchId: string): Promise<boolean> {
    if (!batchId) return true;
    try {
      await this.db.collection("ingest_batches").insertOne({ tenantId: this.principal.tenantId, api, batchId, at: new Date() });
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 11000) return false;
      throw toConnectError(e);
    }
  }
}

function assertSafeStage(stage: Document): void {
  const name = Object.keys(stage)[0] ?? "";
  if (escapingStages.has(name)) throw new ConnectError(`stage ${name} is not allowed in a tenant-scoped pipeline`, Code.Internal);
}

/** Builds a TenantScope for a principal; injected into services. */
export type TenantScopeFactory = (principal: Principal) => TenantScope;

export function createTenantScopeFactory(db: Db): TenantScopeFactory {
  return (principal) => new TenantScope(db, principal);
}

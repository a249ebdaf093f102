import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type Document, type Filter } from "mongodb";
import type { Principal } from "../platform/principal.js";
import { toConnectError } from "../platform/errors.js";
import { dbTimeoutMs, principalOf } from "../platform/handler-context.js";
import type { CollectionName } from "./collections.js";

/** Stages that could read or write outside the tenant `$match`; refused in every scoped pipeline. */
const escapingStages = new Set([
  "$lookup",
  "$unionWith",
  "$graphLookup",
  "$out",
  "$merge",
  "$documents",
  "$currentOp",
  "$collStats",
  "$indexStats",
  "$listSessions",
  "$planCacheStats",
]);

/** What a call allows its database work: the time left (read when each command starts) and its abort. */
export interface CallBudget {
  timeoutMs(): number;
  readonly signal?: AbortSignal;
}

/** Per-read options; the call's deadline and signal are the scope's own. */
export interface ScopeOptions {
  /** Remaining call time; becomes `maxTimeMS` so the database stops when the caller gives up. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Let blocking stages (`$group`, `$sort`) spill to disk past MongoDB's 100 MB limit. Off by
   * default, as in MongoDB: reads that group or sort a caller's whole range turn it on deliberately;
   * small lookups leave it off so a mistake fails fast instead of writing temporary files.
   */
  readonly allowDiskUse?: boolean;
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
    /** The call this scope serves: every read gets its remaining time and its abort signal. */
    private readonly call?: CallBudget,
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
    const maxTimeMS = Math.max(1, Math.floor(opts.timeoutMs ?? this.call?.timeoutMs() ?? this.defaultTimeoutMs));
    try {
      return await this.db
        .collection(collection)
        .aggregate<T>(scoped, {
          maxTimeMS,
          allowDiskUse: opts.allowDiskUse ?? false,
          signal: opts.signal ?? this.call?.signal,
        })
        .toArray();
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
   * Returns inserted/updated counts. An item's `guard` narrows its filter beyond the key (e.g. "this
   * batch not applied yet"); with `guardedDuplicates`, a duplicate-key failure of such an upsert means
   * the guard excluded an existing document, i.e. the item was applied before, and counts as neither.
   */
  async upsertMany(
    collection: CollectionName,
    tenantId: string,
    items: readonly {
      readonly key: Filter<Document>;
      readonly guard?: Filter<Document>;
      readonly doc?: Document;
      readonly update?: Document;
      readonly pipeline?: Document[];
    }[],
    opts: { readonly guardedDuplicates?: boolean } = {},
  ): Promise<{ inserted: number; updated: number }> {
    if (items.length === 0) return { inserted: 0, updated: 0 };
    const ops: AnyBulkWriteOperation[] = items.map((it) => {
      const filter = { ...it.key, ...it.guard, tenantId };
      // A pipeline update's upsert is seeded from the filter's equality fields, tenantId included.
      if (it.pipeline) return { updateOne: { filter, update: it.pipeline, upsert: true } };
      if (it.update)
        return {
          updateOne: {
            filter,
            update: { ...it.update, $setOnInsert: { ...(it.update.$setOnInsert ?? {}), tenantId } },
            upsert: true,
          },
        };
      return { replaceOne: { filter, replacement: { ...it.doc, ...it.key, tenantId }, upsert: true } };
    });
    try {
      const res = await this.db.collection(collection).bulkWrite(ops, { ordered: false });
      return { inserted: res.upsertedCount, updated: res.matchedCount };
    } catch (e) {
      if (opts.guardedDuplicates && e instanceof MongoBulkWriteError) {
        const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
        if (errors.every((w) => w.code === 11000))
          return { inserted: e.result.upsertedCount, updated: e.result.matchedCount };
      }
      throw toConnectError(e);
    }
  }

  /** Inserts one document for `tenantId` (stamped); a unique-key clash is AlreadyExists. */
  async insert(collection: CollectionName, tenantId: string, doc: Document): Promise<void> {
    try {
      await this.db.collection(collection).insertOne({ ...doc, tenantId });
    } catch (e) {
      if ((e as { code?: number }).code === 11000)
        throw new ConnectError("already exists", Code.AlreadyExists, undefined, undefined, e);
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

  /**
   * Whether an ingest batch already completed with nothing refused, so that sending it again changes
   * nothing. A batch that never completed (its writes failed, or the process died before its mark)
   * or that had refused items is not done: sending it again runs it again.
   */
  async batchDone(api: string, batchId: string): Promise<boolean> {
    if (!batchId) return false;
    try {
      const mark = await this.db
        .collection("ingest_batches")
        .findOne({ tenantId: this.principal.tenantId, api, batchId }, { projection: { rejected: 1 } });
      return mark !== null && mark.rejected === 0;
    } catch (e) {
      throw toConnectError(e);
    }
  }

  /** Marks an ingest batch completed, after its writes, with how many of its items were refused. */
  async completeBatch(api: string, batchId: string, rejected: number): Promise<void> {
    if (!batchId) return;
    try {
      await this.db
        .collection("ingest_batches")
        .updateOne(
          { tenantId: this.principal.tenantId, api, batchId },
          { $set: { rejected, at: new Date() } },
          { upsert: true },
        );
    } catch (e) {
      throw toConnectError(e);
    }
  }
}

/** Refuses escaping stages anywhere in a stage, including inside `$facet` sub-pipelines. */
function assertSafeStage(stage: Document): void {
  for (const [name, spec] of Object.entries(stage)) {
    if (escapingStages.has(name))
      throw new ConnectError(`stage ${name} is not allowed in a tenant-scoped pipeline`, Code.Internal);
    if (name === "$facet" && spec && typeof spec === "object") {
      for (const sub of Object.values(spec as Record<string, unknown>)) {
        if (Array.isArray(sub)) for (const s of sub) assertSafeStage(s as Document);
      }
    }
  }
}

/** Builds the TenantScope of one call (its caller, deadline and abort signal); injected into services. */
export type TenantScopeFactory = (ctx: HandlerContext) => TenantScope;

/** The factory services get: one scope per call, from the call's context. */
export function createTenantScopeFactory(db: Db): TenantScopeFactory {
  return (ctx) => new TenantScope(db, principalOf(ctx), { timeoutMs: () => dbTimeoutMs(ctx), signal: ctx.signal });
}

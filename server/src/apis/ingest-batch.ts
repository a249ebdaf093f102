import type { Rejection } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import type { IngestResult } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import type { Document } from "mongodb";
import type { CollectionName } from "../db/collections.js";
import type { TenantScope } from "../db/tenant-scope.js";
import { Rejections, ingestOnce } from "./ingest-result.js";

/** Thrown by a decoder for an item it refuses; the batch goes on with the others. */
export class ItemRefused extends Error {
  constructor(
    /** The item's field at fault (its JSON path inside the item). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** One decoded item: where it goes (tenant and natural key) and what it carries. */
export interface Keyed<V> {
  readonly tenantId: string;
  readonly key: Readonly<Record<string, unknown>>;
  readonly value: V;
}

/** What one API's ingest is made of; the routine supplies everything else. */
export interface IngestPlan<I, V> {
  /** The batch-id namespace (`jobs`, `metrics:<type>`, …). */
  readonly api: string;
  readonly batchId: string;
  readonly collection: CollectionName;
  readonly items: readonly I[];
  /** At most this many items per batch, checked before any work, refused with `tooMany()`. */
  readonly max: number;
  tooMany(): Error;
  /** Items refused before decoding (the REST shape's own decode failures), by index. */
  readonly refused?: readonly Rejection[];
  /**
   * Work before the items, inside the exactly-once run (metrics register the batch's choices); what
   * it refuses is reported with the batch's rejections.
   */
  prepare?(): Promise<readonly Rejection[]>;
  /** One item, or throws ItemRefused; undefined skips it silently. */
  decode(item: I, index: number): Promise<Keyed<V> | undefined> | Keyed<V> | undefined;
  /** Folds items with the same tenant and natural key within the batch (default: the later wins). */
  merge?(earlier: V, later: V): V;
  /** The write for one key: a replacement document, or an update pipeline with its guard. */
  write(value: V): { readonly doc?: Document; readonly pipeline?: Document[]; readonly guard?: Document };
  /** Additive writes are guarded per document; a guard's duplicate-key clash means "already merged". */
  readonly guardedDuplicates?: boolean;
  /** Work after the writes and before the batch is marked done (derived rows). */
  after?(written: readonly Keyed<V>[]): Promise<void>;
}

/**
 * The one ingest routine every API uses: bounds the batch before any work, runs it at most once per
 * batch id (`ingestOnce`: marked done only after its writes), decodes each item (a refusal names the
 * item and field and never stops the batch), folds items sharing a natural key, and upserts per tenant
 * by natural key, so a batch sent again changes nothing twice.
 */
export async function ingestBatch<I, V>(scope: TenantScope, plan: IngestPlan<I, V>): Promise<IngestResult> {
  if (plan.items.length > plan.max) throw plan.tooMany();
  return ingestOnce(scope, plan.api, plan.batchId, async () => {
    const refused = plan.refused ?? [];
    const rejections = new Rejections([...refused, ...((await plan.prepare?.()) ?? [])]);
    const skip = new Set(refused.map((r) => r.index));
    const byKey = new Map<string, Keyed<V>>();
    for (const [index, item] of plan.items.entries()) {
      if (skip.has(index)) continue;
      let decoded: Keyed<V> | undefined;
      try {
        decoded = await plan.decode(item, index);
      } catch (e) {
        if (!(e instanceof ItemRefused)) throw e;
        rejections.add(index, e.field, e.message);
        continue;
      }
      if (!decoded) continue;
      const k = `${decoded.tenantId}\u0000${JSON.stringify(decoded.key)}`;
      const earlier = byKey.get(k);
      byKey.set(k, earlier && plan.merge ? { ...decoded, value: plan.merge(earlier.value, decoded.value) } : decoded);
    }
    const byTenant = new Map<string, Keyed<V>[]>();
    for (const d of byKey.values()) {
      const list = byTenant.get(d.tenantId);
      if (list) list.push(d);
      else byTenant.set(d.tenantId, [d]);
    }
    let inserted = 0;
    let updated = 0;
    for (const [tenantId, list] of byTenant) {
      const items = list.map((d) => ({ key: d.key, ...plan.write(d.value) }));
      const r = await scope.upsertMany(plan.collection, tenantId, items, { guardedDuplicates: plan.guardedDuplicates });
      inserted += r.inserted;
      updated += r.updated;
    }
    await plan.after?.([...byKey.values()]);
    return rejections.result({ inserted, updated });
  });
}

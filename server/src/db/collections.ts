import type { Db, IndexDescription } from "mongodb";

/** Every collection Tally uses, with its indexes. Tenant-owned data indexes lead with `tenantId`. */
export const collectionIndexes: Readonly<Record<string, IndexDescription[]>> = {
  tenants: [{ key: { path: 1 }, name: "path" }],
  clients: [{ key: { tenantId: 1 }, name: "tenant" }],
  signing_keys: [{ key: { createdAt: -1 }, name: "created" }],
  ingest_batches: [{ key: { tenantId: 1, api: 1, batchId: 1 }, name: "tenant_batch", unique: true }],
  jobs: [
    { key: { tenantId: 1, jobId: 1 }, name: "tenant_job", unique: true },
    { key: { tenantId: 1, timestamp: 1 }, name: "tenant_time" },
    // The seed's requests name their application: the leading $match pins it, then a time range.
    { key: { tenantId: 1, application: 1, timestamp: 1 }, name: "tenant_app_time" },
  ],
  records: [
    { key: { tenantId: 1, namespace: 1, result: 1, name: 1 }, name: "tenant_record", unique: true },
    { key: { tenantId: 1, createTime: 1 }, name: "tenant_time" },
  ],
  metric_choices: [{ key: { tenantId: 1, type: 1, choiceId: 1 }, name: "tenant_choice", unique: true }],
  metric_rows: [{ key: { tenantId: 1, type: 1, choiceId: 1, hour: 1 }, name: "tenant_choice_hour", unique: true }],
  metric_events: [{ key: { tenantId: 1, type: 1, eventId: 1 }, name: "tenant_event", unique: true }],
  delivery_services: [
    // xmlIds and numeric ids are global, as in Traffic Ops: a lookup by either finds one service.
    { key: { xmlId: 1 }, name: "xml_id", unique: true },
    { key: { id: 1 }, name: "ds_id", unique: true },
    { key: { tenantId: 1, id: 1 }, name: "tenant_id" },
  ],
  // One point per minute per cache group; `cachegroup` is absent (null) for the `total` group.
  ds_points: [
    {
      key: { tenantId: 1, ds: 1, metric: 1, cachegroup: 1, time: 1 },
      name: "tenant_ds_metric_cachegroup_time",
      unique: true,
    },
  ],
  metric_definitions: [{ key: { tenantId: 1, name: 1 }, name: "tenant_metric", unique: true }],
  histograms: [
    {
      key: { tenantId: 1, prefix: 1, channel: 1, version: 1, date: 1, metric: 1, dimsKey: 1 },
      name: "tenant_histogram",
      unique: true,
    },
  ],
  counters: [],
};

/** A collection Tally owns (every read and write names one). */
export type CollectionName = keyof typeof collectionIndexes;

/** Indexes earlier versions created that would now refuse valid data; dropped at start. */
const obsoleteIndexes: Readonly<Record<string, readonly string[]>> = {
  ds_points: ["tenant_ds_metric_time"],
};

/** Creates every index and drops obsolete ones (idempotent). */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(obsoleteIndexes)) {
    // A collection that does not exist yet (MongoDB: NamespaceNotFound, 26) has nothing to drop.
    const listed = await db
      .collection(name)
      .listIndexes()
      .toArray()
      .catch((e: unknown) => {
        if ((e as { code?: number }).code === 26) return [];
        throw e;
      });
    const existing = new Set(listed.map((i) => i.name as string));
    for (const index of indexes) if (existing.has(index)) await db.collection(name).dropIndex(index);
  }
  for (const [name, indexes] of Object.entries(collectionIndexes)) {
    if (indexes.length) await db.collection(name).createIndexes(indexes);
  }
}

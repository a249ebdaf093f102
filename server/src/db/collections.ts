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
  ds_points: [{ key: { tenantId: 1, ds: 1, metric: 1, time: 1 }, name: "tenant_ds_metric_time", unique: true }],
  metric_definitions: [{ key: { tenantId: 1, name: 1 }, name: "tenant_metric", unique: true }],
  histograms: [{ key: { tenantId: 1, prefix: 1, channel: 1, version: 1, date: 1, metric: 1, dimsKey: 1 }, name: "tenant_histogram", unique: true }],
  counters: [],
};

export type CollectionName = keyof typeof collectionIndexes;

/** Creates every index (idempotent). */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(collectionIndexes)) {
    if (indexes.length) await db.collection(name).createIndexes(indexes);
  }
}

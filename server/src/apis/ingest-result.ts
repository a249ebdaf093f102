import { create } from "@bufbuild/protobuf";
import {
  IngestResultSchema,
  RejectionSchema,
  type IngestResult,
  type Rejection,
} from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";
import type { TenantScope } from "../db/tenant-scope.js";

/** The refused items of one ingest batch, and the batch's IngestResult. */
export class Rejections {
  private readonly list: Rejection[];

  constructor(initial: readonly Rejection[] = []) {
    this.list = [...initial];
  }

  add(index: number, field: string, reason: string): void {
    this.list.push(create(RejectionSchema, { index, field: clip(field), reason: clip(reason) }));
  }

  /** The result: counts from the upsert and the rejections in item order. */
  result(counts: { inserted: number; updated: number }): IngestResult {
    const rejections = [...this.list].sort((a, b) => a.index - b.index);
    return create(IngestResultSchema, {
      inserted: BigInt(counts.inserted),
      updated: BigInt(counts.updated),
      rejected: BigInt(rejections.length),
      rejections,
    });
  }
}

/** Reasons may quote a caller's value; keep every answer small however long that value was. */
function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The answer to a batch id seen before: nothing changed. */
export function replayed(): IngestResult {
  return create(IngestResultSchema, { replayed: true });
}

/**
 * Runs one ingest batch at most once and never loses it: a batch id that completed with nothing refused
 * is answered `replayed` without work; otherwise the batch runs and is marked completed only after its
 * writes. So a failure anywhere before the mark leaves the batch to be sent again, and a batch whose
 * items were refused may be sent again once their cause is fixed. Running a batch again is safe
 * because every write is an upsert by natural key (additive merges guard each document, see
 * telemetry).
 */
export async function ingestOnce(
  scope: TenantScope,
  api: string,
  batchId: string,
  run: () => Promise<IngestResult>,
): Promise<IngestResult> {
  if (await scope.batchDone(api, batchId)) return replayed();
  const result = await run();
  await scope.completeBatch(api, batchId, Number(result.rejected));
  return result;
}

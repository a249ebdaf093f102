import { create } from "@bufbuild/protobuf";
import { IngestResultSchema, RejectionSchema, type IngestResult, type Rejection } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";

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
    return create(IngestResultSchema, { inserted: BigInt(counts.inserted), updated: BigInt(counts.updated), rejected: BigInt(rejections.length), rejections });
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

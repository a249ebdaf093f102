import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  IngestRecordsResponseSchema,
  RecordListSummarySchema,
  RecordSchema,
  type CreateRecordRequest,
  type GetRecordListSummaryRequest,
  type IngestRecordsRequest,
  type Record as RecordMessage,
  type RecordsService,
} from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import { ingestBatch } from "../ingest-batch.js";
import type { TenantScopeFactory } from "../../db/tenant-scope.js";
import { invalidArgument } from "../../platform/errors.js";
import { FilterError, compileFilter } from "./cel-filter.js";
import { toSummaryMessage } from "./convert.js";
import { buildSummaryPipeline, type SummaryRow } from "./pipeline.js";
import { RecordInputError, readableValue, toRecordDoc, type RecordDoc } from "./record-doc.js";
import { parseSummaryQuery } from "./request.js";

const writeParent = /^([a-z0-9_-]{1,63})\/results\/([a-z0-9_-]{1,63})$/;
const MAX_BATCH = 5_000;

/** Tekton Results' record summaries over the caller's namespaces. */
export class RecordsServiceImpl implements ServiceImpl<typeof RecordsService> {
  constructor(private readonly scopes: TenantScopeFactory) {}

  async getRecordListSummary(req: GetRecordListSummaryRequest, ctx: HandlerContext) {
    const q = parseSummaryQuery(req);
    let filter: ReturnType<typeof compileFilter>;
    try {
      filter = compileFilter(req.filter);
    } catch (e) {
      if (e instanceof FilterError) throw invalidArgument(e.message, "filter");
      throw e;
    }
    const scope = this.scopes(ctx);
    const rows = await scope.aggregate<SummaryRow>("records", buildSummaryPipeline(q, filter), { allowDiskUse: true });
    // Without group_by there is exactly one row, even over nothing; with it, one per group (maybe none).
    const summary =
      q.groupBy.kind === "none" ? [toSummaryMessage(rows[0], q)] : rows.map((r) => toSummaryMessage(r, q));
    return create(RecordListSummarySchema, { summary });
  }

  async createRecord(req: CreateRecordRequest, ctx: HandlerContext) {
    const { namespace, result } = parseWriteParent(req.parent);
    if (!req.record) throw invalidArgument("record is required", "record");
    let doc: RecordDoc;
    try {
      doc = toDoc(namespace, result, req.record);
    } catch (e) {
      if (e instanceof RecordInputError) throw invalidArgument(`${e.field}: ${e.message}`, `record.${e.field}`);
      throw e;
    }
    const scope = this.scopes(ctx);
    await scope.upsertMany("records", scope.writeTenant(), [
      { key: { namespace, result, name: doc.name }, doc: { ...doc } },
    ]);
    return toRecordMessage(doc);
  }

  async ingestRecords(req: IngestRecordsRequest, ctx: HandlerContext) {
    const { namespace, result } = parseWriteParent(req.parent);
    const scope = this.scopes(ctx);
    const tenantId = scope.writeTenant();
    const outcome = await ingestBatch(scope, {
      api: "records",
      batchId: req.batchId,
      collection: "records",
      items: req.records,
      max: MAX_BATCH,
      tooMany: () => invalidArgument(`at most ${MAX_BATCH} records per batch`, "records"),
      decode: (r) => {
        const doc = toDoc(namespace, result, r);
        return { tenantId, key: { namespace, result, name: doc.name }, value: doc };
      },
      write: (doc) => ({ doc }),
    });
    return create(IngestRecordsResponseSchema, { result: outcome });
  }
}

function parseWriteParent(parent: string): { namespace: string; result: string } {
  const m = writeParent.exec(parent);
  if (!m || m[1] === "-" || m[2] === "-")
    throw invalidArgument("parent must be <namespace>/results/<result> without wildcards", "parent");
  return { namespace: m[1]!, result: m[2]! };
}

function toDoc(namespace: string, result: string, r: RecordMessage): RecordDoc {
  if (!r.data?.value) throw new RecordInputError("data.value", "data.value (the Tekton object) is required");
  const nameHint = r.name.includes("/") ? r.name.slice(r.name.lastIndexOf("/") + 1) : r.name;
  if (r.name.includes("/") && !r.name.startsWith(`${namespace}/results/${result}/records/`)) {
    throw new RecordInputError("name", "record name must be under the request's parent");
  }
  return toRecordDoc(namespace, result, nameHint, r.data.type, r.data.value as JsonObject);
}

function toRecordMessage(doc: RecordDoc): RecordMessage {
  return create(RecordSchema, {
    name: `${doc.namespace}/results/${doc.result}/records/${doc.name}`,
    uid: doc.uid,
    data: { type: doc.type, value: readableValue(doc.data) as JsonObject },
    createTime: doc.createTime ? timestampFromDate(doc.createTime) : undefined,
    updateTime: timestampFromDate(doc.updateTime),
  });
}

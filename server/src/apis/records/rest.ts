import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RecordListSummary } from "@tally/sdk/gen/tally/records/v1/records_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import { RecordSummarySchema } from "@tally/sdk/gen/tally/records/v1/records_pb.js";

/**
 * Tekton Results' REST shape: `{"summary": [...]}` with snake_case keys in sorted order (upstream
 * marshals a Go map), requested aggregations only, `null` for durations and `last_runtime` without
 * data. Errors keep the default gRPC-gateway body `{"code", "message", "details"}`.
 */
export const recordsRest: RestShape = {
  describe(route) {
    if (route.method.name !== "GetRecordListSummary") return {};
    const cell = { type: ["number", "string", "integer", "null"] };
    return { ok: obj({ summary: { type: "array", items: { type: "object", additionalProperties: cell } } }) };
  },
  request(json: JsonObject) {
    // Upstream's Record.data.value is JSON bytes (base64 over REST); accept that as well as an object,
    // in a single create and in a batch.
    if (json.record && typeof json.record === "object") decodeValue(json.record as JsonObject, "record");
    if (Array.isArray(json.records))
      for (const [i, r] of json.records.entries())
        if (r && typeof r === "object" && !Array.isArray(r)) decodeValue(r, `records[${i}]`);
  },
  response(message, ctx) {
    if (ctx.route.method.name !== "GetRecordListSummary") {
      return {
        status: 200,
        body: messageToRestJson(ctx.route.method.output, message, { useProtoFieldName: true, emitDefaults: true }),
      };
    }
    const summary = (message as RecordListSummary).summary.map((row) => {
      const json = messageToRestJson(RecordSummarySchema, row, { useProtoFieldName: true }) as Record<string, RestJson>;
      const out: Record<string, RestJson> = {};
      for (const key of [...row.fields].sort()) out[key] = json[key] ?? null;
      return out;
    });
    return { status: 200, body: { summary } };
  },
};

/** A record's base64 `data.value` (JSON bytes, as upstream sends it) decoded into the object it holds. */
function decodeValue(record: JsonObject, path: string): void {
  const data = record.data as JsonObject | undefined;
  if (!data || typeof data.value !== "string") return;
  try {
    data.value = JSON.parse(Buffer.from(data.value, "base64").toString("utf8")) as JsonObject;
  } catch {
    throw new ConnectError(`${path}.data.value: not base64-encoded JSON`, Code.InvalidArgument);
  }
}

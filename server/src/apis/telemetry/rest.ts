import type { JsonObject } from "@bufbuild/protobuf";
import { errorReply } from "../../transcoding/rest-error.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import {
  GetAggregatesResponseSchema,
  type GetAggregatesResponse,
} from "@tally/sdk/gen/tally/telemetry/v1/telemetry_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import { allowedAggregateParams } from "./dimensions.js";

const kAllow = "x-tally-allow";

/**
 * Mozilla's REST shape: top-level arrays for channels and dates, 405 with `Allow` for an unknown
 * aggregates parameter (upstream puts the corrected URL there), and caching: a strong ETag on
 * aggregates (304 on a match) and a day's max-age for submission_date aggregates.
 */
export const telemetryRest: RestShape = {
  describe(route) {
    const error = obj({ message: { type: "string" } });
    switch (route.method.name) {
      case "GetAggregates": {
        const entry = obj({
          date: { type: "string" },
          count: { type: "integer" },
          sum: { type: "number" },
          histogram: { type: "array", items: { type: "integer" } },
          label: { type: "string" },
        });
        return {
          ok: obj({
            buckets: { type: "array", items: { type: ["number", "string"] } },
            data: { type: "array", items: entry },
            kind: { type: "string" },
            description: { type: "string" },
          }),
          error,
        };
      }
      case "GetFilters":
        return { ok: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } }, error };
      case "ListChannels":
        return { ok: { type: "array", items: { type: "string" } }, error };
      default:
        return { error };
    }
  },
  request(_json: JsonObject, ctx: RestContext) {
    if (ctx.route.method.name !== "GetAggregates" || ctx.unknownQueryKeys.length === 0) return;
    const valid = new URLSearchParams();
    for (const [k, v] of ctx.url.searchParams)
      if ((allowedAggregateParams as readonly string[]).includes(k)) valid.append(k, v);
    const err = new ConnectError(
      `Unsupported parameter: ${ctx.unknownQueryKeys.join(", ")}. Accepted: ${allowedAggregateParams.join(", ")}`,
      Code.FailedPrecondition,
    );
    err.metadata.set(kAllow, `${ctx.url.pathname}?${valid.toString()}`);
    throw err;
  },
  response(message, ctx) {
    const json = messageToRestJson(ctx.route.method.output, message, {
      useProtoFieldName: true,
      emitDefaults: true,
    }) as Record<string, RestJson>;
    if (ctx.route.responseBody) return { status: 200, body: json[ctx.route.responseBody] ?? [] };
    if (ctx.route.method.name !== "GetAggregates") return { status: 200, body: json };
    const m = message as GetAggregatesResponse;
    // A strong ETag: a hash of the answer itself (an HTTP concern, computed here, not in the contract).
    const etag = `"${createHash("sha256").update(toBinary(GetAggregatesResponseSchema, m)).digest("base64url").slice(0, 32)}"`;
    const headers: Record<string, string> = { etag };
    if (ctx.url.pathname.startsWith("/aggregates_by/submission_date/"))
      headers["cache-control"] = "private, max-age=86400";
    const inm = ctx.headers.get("if-none-match");
    if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === "*"))
      return { status: 304, headers, body: undefined };
    const buckets = m.kind === "categorical" ? m.buckets : m.buckets.map(Number);
    return {
      status: 200,
      headers,
      body: {
        buckets,
        data: m.data.map((d) => ({
          date: d.date,
          count: d.count,
          sum: d.sum,
          histogram: [...d.histogram],
          label: d.label,
        })),
        kind: m.kind,
        description: m.description,
      },
    };
  },
  error(err: ConnectError): RestReply {
    const allow = err.metadata.get(kAllow);
    if (allow) return { status: 405, headers: { allow }, body: { message: err.rawMessage } };
    return errorReply(err, (_status, message) => ({ message }), { internal: "Internal Server Error" });
  },
};

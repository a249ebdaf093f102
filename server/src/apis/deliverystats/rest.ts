import type { JsonObject } from "@bufbuild/protobuf";
import { Code, createContextKey, type ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import type { GetDeliveryServiceStatsResponse } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { negotiateTimestamp, type TimestampChoice } from "./accept.js";

/** The timestamp format `Accept` negotiated: REST's own business, kept in the call's context. */
const kTimestamp = createContextKey<TimestampChoice>("rfc", { description: "delivery-stats timestamp format" });

/**
 * Traffic Ops answers 406 when `Accept` allows neither timestamp format, after authentication and the
 * required-parameter check and before any other validation: every other outcome becomes that 406.
 */
function notAcceptable(ctx: RestContext): RestReply {
  return alerts(406, `Failed to negotiate content; cannot produce output satisfying ${ctx.headers.get("accept") ?? ""}`);
}

const alerts = (status: number, text: string): RestReply => ({ status, headers: { vary: "Accept" }, body: { alerts: [{ text, level: "error" }] } });

/** Traffic Ops' REST shape: `{"response": ...}`, `{"alerts": [...]}`, Accept-driven timestamps. */
export const deliveryStatsRest: RestShape = {
  request(_json: JsonObject, ctx: RestContext) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") return;
    ctx.values.set(kTimestamp, negotiateTimestamp(ctx.headers.get("accept")));
  },
  response(message, ctx) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") {
      return { status: 200, body: { response: messageToRestJson(ctx.route.method.output, message, { emitDefaults: true }) } };
    }
    const choice = ctx.values.get(kTimestamp);
    if (choice === "none") return notAcceptable(ctx);
    const m = message as GetDeliveryServiceStatsResponse;
    const unix = choice === "unix";
    const response: Record<string, RestJson> = {};
    if (m.series) {
      response.series = {
        columns: [...m.series.columns],
        count: m.series.count,
        name: m.series.name,
        tags: { ...m.series.tags },
        values: m.series.values.map((v) => [unix ? v.timeUnixNano : rfc3339(v.timeUnixNano), v.value ?? null]),
      };
    }
    response.source = m.source;
    if (m.summary) {
      const s = m.summary;
      const kbps = s.totalKiloBytes !== undefined;
      response.summary = {
        average: s.average,
        count: s.count,
        fifthPercentile: s.fifthPercentile,
        max: s.max,
        min: s.min,
        ninetyEighthPercentile: s.ninetyEighthPercentile,
        ninetyFifthPercentile: s.ninetyFifthPercentile,
        totalBytes: s.totalBytes ?? null,
        ...(kbps ? { totalKiloBytes: s.totalKiloBytes! } : {}),
        totalTransactions: s.totalTransactions ?? null,
      };
    }
    response.version = m.version;
    return {
      status: 200,
      headers: { "content-type": `application/json; timestamp=${unix ? "unix" : "rfc"}`, vary: "Accept" },
      body: { response },
    };
  },
  error(err: ConnectError, ctx: RestContext): RestReply {
    const missingParams = err.code === Code.InvalidArgument && err.rawMessage.startsWith("required parameters missing");
    if (ctx.values.get(kTimestamp) === "none" && err.code !== Code.Unauthenticated && err.code !== Code.PermissionDenied && !missingParams) return notAcceptable(ctx);
    switch (err.code) {
      case Code.Unauthenticated:
        return alerts(401, "unauthorized, please log in.");
      case Code.FailedPrecondition:
        return alerts(406, err.rawMessage);
      case Code.Internal:
      case Code.Unknown:
        return alerts(500, "Internal Server Error");
      default:
        return alerts(codeToHttpStatus(err.code), err.rawMessage);
    }
  },
};

function rfc3339(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

import type { JsonObject } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { TimestampFormat, type GetDeliveryServiceStatsResponse } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { negotiateTimestamp } from "./accept.js";

const formatNames = { rfc: "TIMESTAMP_FORMAT_RFC", unix: "TIMESTAMP_FORMAT_UNIX", none: "TIMESTAMP_FORMAT_UNACCEPTABLE" } as const;

/** Traffic Ops' REST shape: `{"response": ...}`, `{"alerts": [...]}`, Accept-driven timestamps. */
export const deliveryStatsRest: RestShape = {
  request(json: JsonObject, ctx: RestContext) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") return;
    // The client never chooses this field directly over REST: Accept does.
    json.timestampFormat = formatNames[negotiateTimestamp(ctx.headers.get("accept"))];
  },
  response(message, ctx) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") {
      return { status: 200, body: { response: messageToRestJson(ctx.route.method.output, message, { emitDefaults: true }) } };
    }
    const m = message as GetDeliveryServiceStatsResponse;
    const unix = m.timestampFormat === TimestampFormat.UNIX;
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
  error(err: ConnectError): RestReply {
    const alerts = (status: number, text: string): RestReply => ({ status, headers: { vary: "Accept" }, body: { alerts: [{ text, level: "error" }] } });
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

import type { JsonObject } from "@bufbuild/protobuf";
import { errorReply } from "../../transcoding/rest-error.js";
import { Code, createContextKey, type ConnectError } from "@connectrpc/connect";
import type { GetDeliveryServiceStatsResponse } from "@tally/sdk/gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import { negotiateTimestamp, type TimestampChoice } from "./accept.js";

/** The timestamp format `Accept` negotiated: REST's own business, kept in the call's context. */
const kTimestamp = createContextKey<TimestampChoice>("rfc", { description: "delivery-stats timestamp format" });

/**
 * Traffic Ops answers 406 when `Accept` allows neither timestamp format, after authentication and the
 * required-parameter check and before any other validation: every other outcome becomes that 406.
 */
function notAcceptable(ctx: RestContext): RestReply {
  return alerts(
    406,
    `Failed to negotiate content; cannot produce output satisfying ${ctx.headers.get("accept") ?? ""}`,
  );
}

const alerts = (status: number, text: string): RestReply => ({
  status,
  headers: { vary: "Accept" },
  body: { alerts: [{ text, level: "error" }] },
});

/**
 * Traffic Ops API versions served: the majors Traffic Ops serves `deliveryservice_stats` under, each
 * with its minors (3.0–3.1, 4.0–4.1, 5.0–5.1); the routes are declared once, under 4.0, and the
 * documented request and response are the same in every one of them.
 */
const versionedPath = /^\/api\/(3|4|5)\.([01])\//;

/** Traffic Ops' REST shape: `{"response": ...}`, `{"alerts": [...]}`, Accept-driven timestamps. */
export const deliveryStatsRest: RestShape = {
  describe(route) {
    const error = obj({
      alerts: { type: "array", items: obj({ text: { type: "string" }, level: { const: "error" } }) },
    });
    if (route.method.name !== "GetDeliveryServiceStats") return { ok: obj({ response: { type: "object" } }), error };
    const num = { type: ["number", "null"] };
    const time = { type: ["string", "integer"] };
    const series = obj({
      columns: { type: "array", items: { type: "string" } },
      count: { type: "integer" },
      name: { type: "string" },
      tags: { type: "object" },
      values: { type: "array", items: { type: "array", prefixItems: [time, num], minItems: 2, maxItems: 2 } },
    });
    const summary = obj(
      Object.fromEntries(
        [
          "average",
          "count",
          "fifthPercentile",
          "max",
          "min",
          "ninetyEighthPercentile",
          "ninetyFifthPercentile",
          "totalBytes",
          "totalKiloBytes",
          "totalTransactions",
        ].map((k) => [k, num]),
      ),
    );
    const response = {
      type: "object",
      properties: { series, summary, source: { type: "string" }, version: { type: "string" } },
      required: ["source", "version"],
      additionalProperties: false,
    };
    const aliases = ["3.0", "3.1", "4.1", "5.0", "5.1"].map((v) => `/api/${v}/deliveryservice_stats`);
    return { ok: obj({ response }), error, aliases };
  },
  alias(pathname) {
    return versionedPath.test(pathname) ? pathname.replace(versionedPath, "/api/4.0/") : undefined;
  },
  notFound(_method, pathname) {
    // Traffic Portal reads err.data.alerts: any unknown route under /api/ answers in that shape.
    return pathname === "/api" || pathname.startsWith("/api/") ? alerts(404, "Resource not found.") : undefined;
  },
  request(_json: JsonObject, ctx: RestContext) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") return;
    ctx.values.set(kTimestamp, negotiateTimestamp(ctx.headers.get("accept")));
  },
  response(message, ctx) {
    if (ctx.route.method.name !== "GetDeliveryServiceStats") {
      return {
        status: 200,
        body: { response: messageToRestJson(ctx.route.method.output, message, { emitDefaults: true }) },
      };
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
      response.summary = {
        average: s.average,
        count: s.count,
        fifthPercentile: s.fifthPercentile,
        max: s.max,
        min: s.min,
        ninetyEighthPercentile: s.ninetyEighthPercentile,
        ninetyFifthPercentile: s.ninetyFifthPercentile,
        totalBytes: s.totalBytes ?? null,
        // Upstream 4.x always emits the key: a number for kbps with data, null otherwise.
        totalKiloBytes: s.totalKiloBytes ?? null,
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
    if (
      ctx.values.get(kTimestamp) === "none" &&
      err.code !== Code.Unauthenticated &&
      err.code !== Code.PermissionDenied &&
      !missingParams
    )
      return notAcceptable(ctx);
    return errorReply(err, (status, text) => alerts(status, text).body!, {
      internal: "Internal Server Error",
      byCode: {
        [Code.Unauthenticated]: { message: "unauthorized, please log in." },
        [Code.FailedPrecondition]: { status: 406 },
      },
    });
  },
};

function rfc3339(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

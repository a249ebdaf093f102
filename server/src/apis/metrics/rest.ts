import type { JsonObject, Message } from "@bufbuild/protobuf";
import { errorReply } from "../../transcoding/rest-error.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import type {
  GetPlotDataResponse,
  ListMetricsTypesResponse,
  MetricsTypeDetails,
} from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { MetricsColumnSchema, MetricsTypeSchema } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { messageToRestJson, type RestJson } from "../../transcoding/rest-json.js";
import type { RestContext, RestReply, RestShape } from "../../transcoding/rest-shape.js";
import { obj } from "../../transcoding/openapi.js";
import type { JsonSchema } from "../../transcoding/json-schema.js";
import { metricsType } from "./catalogue.js";

const json = (schema: Parameters<typeof messageToRestJson>[0], m: Message) =>
  messageToRestJson(schema, m, { useProtoFieldName: true, emitDefaults: true });

/** DRF pagination links: the same absolute URL with `page` replaced, or null. */
function links(ctx: RestContext, count: bigint): { next: RestJson; previous: RestJson } {
  const page = Number(ctx.url.searchParams.get("page") ?? "1") || 1;
  const rawSize = Number(ctx.url.searchParams.get("page_size"));
  const size = Number.isInteger(rawSize) && rawSize >= 1 && rawSize <= 1000 ? rawSize : 100;
  const at = (p: number) => {
    const u = new URL(ctx.url);
    u.searchParams.set("page", String(p));
    return u.toString();
  };
  return { next: BigInt(page * size) < count ? at(page + 1) : null, previous: page > 1 ? at(page - 1) : null };
}

/** Scale's REST shape (Django REST Framework): paginated envelopes and `{"detail": "..."}` errors. */
export const metricsRest: RestShape = {
  describe(route) {
    const error = obj({ detail: { type: "string" } });
    const page = (items: JsonSchema) =>
      obj({
        count: { type: "integer" },
        next: { type: ["string", "null"] },
        previous: { type: ["string", "null"] },
        results: { type: "array", items },
      });
    switch (route.method.name) {
      case "ListMetricsTypes":
        return { ok: page({ type: "object" }), error };
      case "GetPlotData":
        return {
          ok: page(
            obj({
              column: { type: "object" },
              min_x: {},
              max_x: {},
              min_y: {},
              max_y: {},
              values: { type: "array", items: obj({ datetime: { type: "string" }, value: {} }, ["datetime"]) },
            }),
          ),
          error,
        };
      case "GetMetricsType":
        return {
          ok: obj({ name: { type: "string" }, choices: { type: "array", items: { type: "object" } } }, [
            "name",
            "choices",
          ]),
          error,
        };
      default:
        return { error };
    }
  },
  request(body: JsonObject, ctx: RestContext) {
    // scale-ui sends `page_size=null`; DRF falls back to the default for any invalid size.
    const size = ctx.url.searchParams.get("page_size");
    if (size !== null && !/^\d{1,4}$/.test(size)) delete body.pageSize;
    const page = ctx.url.searchParams.get("page");
    if (page !== null && !/^\d{1,9}$/.test(page)) body.page = -1; // → "Invalid page."
  },
  response(message, ctx) {
    switch (ctx.route.method.name) {
      case "ListMetricsTypes": {
        const m = message as ListMetricsTypesResponse;
        return {
          status: 200,
          body: { count: m.count, ...links(ctx, m.count), results: m.results.map((r) => json(MetricsTypeSchema, r)) },
        };
      }
      case "GetMetricsType": {
        const m = message as MetricsTypeDetails;
        const fields = metricsType(m.name)?.choiceFields ?? ["id", "name"];
        const choices = m.choices.map((c) => {
          const out: Record<string, RestJson> = {};
          for (const f of fields) {
            const v = (c as unknown as Record<string, unknown>)[
              f.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase())
            ];
            out[f] = v === undefined ? null : (v as RestJson);
          }
          return out;
        });
        const { choices: _c, ...rest } = json(ctx.route.method.output, m) as Record<string, RestJson>;
        return { status: 200, body: { ...rest, choices } };
      }
      case "GetPlotData": {
        const m = message as GetPlotDataResponse;
        const results = m.results.map((r) => ({
          column: json(MetricsColumnSchema, r.column!),
          min_x: r.minX ?? null,
          max_x: r.maxX ?? null,
          min_y: r.minY ?? null,
          max_y: r.maxY ?? null,
          // The document's datetime shape: `2015-10-05T15:53:00` (UTC).
          values: r.values.map((v) => ({
            ...(v.id !== undefined ? { id: v.id } : {}),
            datetime: timestampDate(v.datetime!).toISOString().slice(0, 19),
            value: v.value,
          })),
        }));
        return { status: 200, body: { count: m.count, ...links(ctx, m.count), results } };
      }
      default:
        return { status: 200, body: json(ctx.route.method.output, message) };
    }
  },
  error(err: ConnectError): RestReply {
    // Django REST framework's texts, as Scale answers.
    return errorReply(err, (_status, detail) => ({ detail }), {
      internal: "A server error occurred.",
      byCode: {
        [Code.Unauthenticated]: {
          message: "Authentication credentials were not provided.",
          headers: { "www-authenticate": 'Bearer realm="api"' },
        },
        [Code.PermissionDenied]: { message: "You do not have permission to perform this action." },
      },
    });
  },
};

import type { DescField } from "@bufbuild/protobuf";
import { SchemaRegistry, type JsonSchema } from "./json-schema.js";
import type { RestShape } from "./rest-shape.js";
import type { RestRoute } from "./rules.js";

/** What an API's REST shape says of one route's answers, where they differ from the proto JSON. */
export interface RouteDoc {
  /** The success body (default: the output message's proto JSON). */
  readonly ok?: JsonSchema;
  /** The error body (default: `{code, message, details}`). */
  readonly error?: JsonSchema;
  /** Further paths that serve the same operation (e.g. other upstream API versions). */
  readonly aliases?: readonly string[];
}

/** An object schema with these properties, all required unless `required` says otherwise. */
export const obj = (
  properties: Record<string, JsonSchema>,
  required: string[] = Object.keys(properties),
): JsonSchema => ({ type: "object", properties, required });

const defaultError: JsonSchema = {
  type: "object",
  properties: { code: { type: "integer" }, message: { type: "string" }, details: { type: "array" } },
  required: ["code", "message"],
};

/**
 * The OpenAPI 3.1 document of every REST route: built from the same `google.api.http` rules the
 * transcoder routes by (paths, path and query parameters, bodies from the request messages) and from
 * each API's REST shape (its real answer and error bodies), so it cannot drift from what is served.
 */
export function buildOpenApi(
  routes: readonly RestRoute[],
  shapes: ReadonlyMap<string, RestShape>,
  version: string,
  /** The OAuth2 scopes a client-credentials token may ask for (the permission names). */
  scopes: readonly string[],
): Record<string, unknown> {
  const answers = new SchemaRegistry("proto");
  const inputs = new SchemaRegistry("json");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const shape = shapes.get(route.method.parent.typeName);
    const doc: RouteDoc = shape?.describe?.(route, answers) ?? {};
    const bound = new Set(route.template.variables.map((v) => v.fieldPath.split(".")[0]!));
    const parameters: Record<string, unknown>[] = route.template.variables.map((v) => ({
      name: v.fieldPath,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    if (route.body === "") {
      for (const f of route.method.input.fields)
        if (!bound.has(f.name) && queryable(f))
          parameters.push({ name: f.jsonName, in: "query", required: false, schema: querySchema(f) });
    }
    const operation: Record<string, unknown> = {
      operationId: `${route.method.parent.name}.${route.method.name}`,
      tags: [route.method.parent.typeName],
      summary: `${route.method.parent.name}.${route.method.name}`,
      parameters,
      security: [{ oauth2: [] }],
      responses: {
        "200": {
          description: "success",
          content: { "application/json": { schema: doc.ok ?? okSchema(route, answers) } },
        },
        default: {
          description: "error, in this API's documented shape",
          content: { "application/json": { schema: doc.error ?? defaultError } },
        },
      },
    };
    if (route.body !== "") {
      const field = route.body === "*" ? undefined : route.method.input.fields.find((f) => f.name === route.body);
      const schema = field
        ? field.fieldKind === "message"
          ? inputs.ref(field.message)
          : {}
        : inputs.ref(route.method.input);
      operation.requestBody = { required: true, content: { "application/json": { schema } } };
    }
    for (const [i, path] of [openApiPath(route.template.source), ...(doc.aliases ?? [])].entries()) {
      paths[path] ??= {};
      paths[path][route.httpMethod.toLowerCase()] =
        i === 0 ? operation : { ...operation, operationId: `${operation.operationId as string}.${i}` };
    }
  }
  Object.assign(paths, platformPaths());
  return {
    openapi: "3.1.0",
    info: {
      title: "Tally",
      version,
      description:
        "Five aggregation APIs over one port. Every route needs a bearer token from /oauth2/token (client credentials).",
    },
    paths,
    components: {
      schemas: { ...answers.schemas, ...inputs.schemas },
      securitySchemes: {
        oauth2: {
          type: "oauth2",
          flows: {
            clientCredentials: {
              tokenUrl: "/oauth2/token",
              scopes: Object.fromEntries(scopes.map((p) => [p, p])),
            },
          },
        },
      },
    },
  };
}

function okSchema(route: RestRoute, answers: SchemaRegistry): JsonSchema {
  if (route.responseBody === "") return answers.ref(route.method.output);
  const f = route.method.output.fields.find((x) => x.name === route.responseBody);
  if (!f) return {};
  if (f.fieldKind === "list") return { type: "array", items: f.listKind === "message" ? answers.ref(f.message) : {} };
  return f.fieldKind === "message" ? answers.ref(f.message) : {};
}

/** `/v6/metrics/{name}`, `/apis/…/parents/{parent=*\/results/*}/records` → `{parent}`. */
function openApiPath(template: string): string {
  return template.replace(/\{([^}=]+)=[^}]*\}/g, "{$1}");
}

function queryable(f: DescField): boolean {
  return f.fieldKind === "scalar" || f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind !== "message");
}

/** Query values arrive as text; repeated fields as repeated keys. */
function querySchema(f: DescField): JsonSchema {
  return f.fieldKind === "list" ? { type: "array", items: { type: "string" } } : { type: "string" };
}

/** The routes outside the APIs: the token endpoint, JWKS and the operations surface. */
function platformPaths(): Record<string, Record<string, unknown>> {
  const json = (schema: JsonSchema) => ({ "application/json": { schema } });
  const oauthError = {
    type: "object",
    properties: { error: { type: "string" }, error_description: { type: "string" } },
    required: ["error"],
  };
  return {
    "/oauth2/token": {
      post: {
        operationId: "token",
        summary: "OAuth2 client credentials (RFC 6749 §4.4): HTTP Basic or client_id/client_secret in the form",
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": {
              schema: {
                type: "object",
                properties: {
                  grant_type: { const: "client_credentials" },
                  client_id: { type: "string" },
                  client_secret: { type: "string" },
                  scope: { type: "string" },
                },
                required: ["grant_type"],
              },
            },
          },
        },
        responses: {
          "200": {
            description: "a token",
            content: json({
              type: "object",
              properties: {
                access_token: { type: "string" },
                token_type: { const: "Bearer" },
                expires_in: { type: "integer" },
                scope: { type: "string" },
              },
              required: ["access_token", "token_type", "expires_in"],
            }),
          },
          default: { description: "refused", content: json(oauthError) },
        },
      },
    },
    "/.well-known/jwks.json": {
      get: {
        operationId: "jwks",
        summary: "The public signing keys",
        responses: {
          "200": {
            description: "JWKS",
            content: json({ type: "object", properties: { keys: { type: "array" } }, required: ["keys"] }),
          },
        },
      },
    },
    "/healthz": {
      get: {
        operationId: "healthz",
        summary: "Liveness",
        responses: {
          "200": { description: "alive", content: json({ type: "object", properties: { status: { const: "ok" } } }) },
        },
      },
    },
    "/readyz": {
      get: {
        operationId: "readyz",
        summary: "Readiness (start-up done, database up, not shutting down)",
        responses: {
          "200": {
            description: "ready",
            content: json({ type: "object", properties: { status: { const: "ready" } } }),
          },
          "503": {
            description: "not ready",
            content: json({
              type: "object",
              properties: { status: { const: "not ready" }, reasons: { type: "array", items: { type: "string" } } },
            }),
          },
        },
      },
    },
    "/metrics": {
      get: {
        operationId: "metrics",
        summary: "Prometheus metrics (loopback callers unless METRICS_ACCESS=public)",
        responses: {
          "200": { description: "text exposition format", content: { "text/plain": { schema: { type: "string" } } } },
        },
      },
    },
  };
}

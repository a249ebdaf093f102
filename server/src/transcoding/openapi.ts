import type { DescField } from "@bufbuild/protobuf";
import { SchemaRegistry, type JsonSchema } from "./json-schema.js";
import type { RestShape } from "./rest-shape.js";
import type { RestRoute } from "./rules.js";
import { platformPaths } from "./openapi-platform.js";

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
    const operation = operationOf(route, doc, answers, inputs);
    for (const [i, path] of [openApiPath(route.template.source), ...(doc.aliases ?? [])].entries()) {
      paths[path] ??= {};
      paths[path][route.httpMethod.toLowerCase()] =
        i === 0 ? operation : { ...operation, operationId: `${operation.operationId as string}.${i}` };
    }
  }
  Object.assign(paths, structuredClone(platformPaths));
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

/** One route's operation: parameters from its template and query fields, answers from its REST shape. */
function operationOf(
  route: RestRoute,
  doc: RouteDoc,
  answers: SchemaRegistry,
  inputs: SchemaRegistry,
): Record<string, unknown> {
  const operation: Record<string, unknown> = {
    operationId: `${route.method.parent.name}.${route.method.name}`,
    tags: [route.method.parent.typeName],
    summary: `${route.method.parent.name}.${route.method.name}`,
    parameters: parametersOf(route),
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
  return operation;
}

/** Path variables, then (for a route without a body) every other scalar field as a query parameter. */
function parametersOf(route: RestRoute): Record<string, unknown>[] {
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
  return parameters;
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

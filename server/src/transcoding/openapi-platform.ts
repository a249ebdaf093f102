import type { JsonSchema } from "./json-schema.js";

const json = (schema: JsonSchema) => ({ "application/json": { schema } });

const oauthError: JsonSchema = {
  type: "object",
  properties: { error: { type: "string" }, error_description: { type: "string" } },
  required: ["error"],
};

/** The routes outside the APIs: the token endpoint, JWKS and the operations surface. */
export const platformPaths: Readonly<Record<string, Record<string, unknown>>> = {
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

import { cors as connectCors } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse } from "./http.js";

const allowHeaders = [
  ...connectCors.allowedHeaders,
  "Authorization",
  "client_id",
  "X-Request-Id",
  "If-None-Match",
].join(", ");
const exposeHeaders = [...connectCors.exposedHeaders, "X-Request-Id", "ETag", "Retry-After", "Allow", "Vary"].join(
  ", ",
);
const allowMethods = [...new Set([...connectCors.allowedMethods, "GET", "POST", "OPTIONS"])].join(", ");

/**
 * CORS for browser clients (connect-web, gRPC-Web, REST from a page), for the configured origins only
 * (`CORS_ALLOWED_ORIGINS`, comma-separated; `*` for any). Returns true when it answered a preflight.
 */
export function applyCors(allowed: readonly string[], req: NodeRequest, res: NodeResponse): boolean {
  const origin = req.headers.origin;
  if (!origin || allowed.length === 0 || !(allowed.includes("*") || allowed.includes(origin))) return false;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("vary", "Origin");
  res.setHeader("access-control-expose-headers", exposeHeaders);
  if (req.method !== "OPTIONS" || !req.headers["access-control-request-method"]) return false;
  res.setHeader("access-control-allow-methods", allowMethods);
  res.setHeader("access-control-allow-headers", allowHeaders);
  res.setHeader("access-control-max-age", "7200");
  (res as import("node:http").ServerResponse).writeHead(204);
  res.end();
  return true;
}

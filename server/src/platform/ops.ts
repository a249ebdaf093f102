import type { IncomingMessage, ServerResponse } from "node:http";
import type { HealthState } from "./health.js";
import type { TallyMetrics } from "./metrics.js";

/** Who may read `/metrics`: loopback callers only (`local`), or anyone who reaches the port (`public`). */
export type MetricsAccess = "local" | "public";

const loopback = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The operations surface on the one port, outside every API: `GET /healthz` (the process answers),
 * `GET /readyz` (ready for traffic: start-up done, database up, not shutting down — the same state as
 * gRPC health) and `GET /metrics` (Prometheus text). Returns false for any other path.
 */
export function createOpsHandler(health: HealthState, metrics: TallyMetrics, access: MetricsAccess) {
  return (req: IncomingMessage, res: ServerResponse, pathname: string): boolean => {
    if (pathname !== "/healthz" && pathname !== "/readyz" && pathname !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" }).end('{"status":"method not allowed"}');
      return true;
    }
    if (pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end('{"status":"ok"}');
      return true;
    }
    if (pathname === "/readyz") {
      const ready = health.serving;
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(ready ? { status: "ready" } : { status: "not ready", reasons: health.reasons }));
      return true;
    }
    if (access === "local" && !loopback.test(req.socket.remoteAddress ?? "")) {
      res.writeHead(403, { "content-type": "application/json" }).end('{"status":"metrics are served to loopback callers only (METRICS_ACCESS=public to change)"}');
      return true;
    }
    void metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(text),
      () => res.writeHead(500).end(),
    );
    return true;
  };
}

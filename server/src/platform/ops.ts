import type { ServerResponse } from "node:http";
import type { NodeRequest, NodeResponse } from "./http.js";
import type { HealthState } from "./health.js";
import type { TallyMetrics } from "./metrics.js";

/** Who may read `/metrics`: loopback callers only (`local`), or anyone who reaches the port (`public`). */
export type MetricsAccess = "local" | "public";

const loopback = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The operations surface on the one port, outside every API: `GET /healthz` (the process answers),
 * `GET /readyz` (ready for traffic: start-up done, database up, not shutting down — the same state as
 * gRPC health), `GET /metrics` (Prometheus text), `GET /openapi.json` and a docs page at `GET /docs`
 * that renders it without anything from the network. Returns false for any other path.
 */
export function createOpsHandler(
  health: HealthState,
  metrics: TallyMetrics,
  access: MetricsAccess,
  openapi: Record<string, unknown>,
) {
  const openapiJson = JSON.stringify(openapi);
  return (req: NodeRequest, nres: NodeResponse, pathname: string): boolean => {
    // Both of Node's response types answer writeHead/end alike; HTTP/1.1's typing covers what is used here.
    const res = nres as ServerResponse;
    if (pathname === "/openapi.json" || pathname === "/docs") {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const [type, body] =
        pathname === "/docs" ? ["text/html; charset=utf-8", docsPage] : ["application/json", openapiJson];
      res
        .writeHead(200, { "content-type": type, "cache-control": "no-cache" })
        .end(req.method === "HEAD" ? undefined : body);
      return true;
    }
    if (pathname !== "/healthz" && pathname !== "/readyz" && pathname !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" })
        .end('{"status":"method not allowed"}');
      return true;
    }
    if (pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end('{"status":"ok"}');
      return true;
    }
    if (pathname === "/readyz") {
      const ready = health.serving;
      res
        .writeHead(ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" })
        .end(JSON.stringify(ready ? { status: "ready" } : { status: "not ready", reasons: health.reasons }));
      return true;
    }
    if (access === "local" && !loopback.test(req.socket.remoteAddress ?? "")) {
      res
        .writeHead(403, { "content-type": "application/json" })
        .end('{"status":"metrics are served to loopback callers only (METRICS_ACCESS=public to change)"}');
      return true;
    }
    void metrics.registry.metrics().then(
      (text) =>
        res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(text),
      () => res.writeHead(500).end(),
    );
    return true;
  };
}

/** A self-contained page that lists every operation of /openapi.json (works offline). */
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tally API</title>
<style>body{font:14px system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}h2{margin-top:2rem}
.op{border:1px solid #ccc;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}.m{font-weight:bold;display:inline-block;width:4rem}
details pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}</style></head>
<body><h1>Tally API</h1><p>Every route needs a bearer token from <code>POST /oauth2/token</code> (OAuth2 client credentials).
The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p><div id="ops">loading…</div>
<script>
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
  const resolve = (s, depth = 0) => {
    if (!s || typeof s !== "object" || depth > 6) return s;
    if (s.$ref) return resolve(doc.components.schemas[s.$ref.split("/").pop()], depth + 1);
    if (Array.isArray(s)) return s.map((x) => resolve(x, depth + 1));
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, resolve(v, depth + 1)]));
  };
  const groups = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (groups[(op.tags || ["platform"])[0]] ??= []).push([method, path, op]);
  document.getElementById("ops").innerHTML = Object.entries(groups).map(([tag, ops]) => "<h2>" + esc(tag) + "</h2>" + ops.map(([method, path, op]) =>
    '<div class="op"><span class="m">' + method.toUpperCase() + "</span> <code>" + esc(path) + "</code> " + esc(op.summary || "") +
    ((op.parameters || []).length ? "<p>parameters: " + op.parameters.map((p) => "<code>" + esc(p.name) + "</code> (" + p.in + ")").join(", ") + "</p>" : "") +
    (op.requestBody ? "<details><summary>request body</summary><pre>" + esc(JSON.stringify(resolve(Object.values(op.requestBody.content)[0].schema), null, 2)) + "</pre></details>" : "") +
    Object.entries(op.responses).map(([code, r]) => "<details><summary>" + code + ": " + esc(r.description) + "</summary><pre>" + esc(JSON.stringify(resolve(Object.values(r.content || {})[0]?.schema || {}), null, 2)) + "</pre></details>").join("") +
    "</div>").join("")).join("");
});
</script></body></html>`;

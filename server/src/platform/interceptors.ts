import { randomUUID } from "node:crypto";
import { Code, type ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "./logger.js";
import type { TallyMetrics } from "./metrics.js";
import { kPrincipal, kProtocol } from "./context.js";
import { toConnectError } from "./errors.js";

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Outermost interceptor: assigns the request id, logs one line per call with the principal's fields
 * (the same line for RPC and transcoded REST calls), and turns any non-Connect error into Internal
 * while logging its cause.
 */
export function createRequestLogInterceptor(logger: Logger, metrics?: TallyMetrics): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const api = req.service.typeName;
    metrics?.inFlight.inc({ api });
    const given = req.header.get("x-request-id");
    const requestId = given && requestIdPattern.test(given) ? given : randomUUID();
    let code: Code | undefined;
    let failure: ConnectError | undefined;
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      return res;
    } catch (e) {
      failure = toConnectError(e);
      code = failure.code;
      failure.metadata.set("x-request-id", requestId);
      throw failure;
    } finally {
      const principal = req.contextValues.get(kPrincipal);
      const line = {
        requestId,
        protocol: req.contextValues.get(kProtocol),
        procedure: req.url.slice(req.url.lastIndexOf("/", req.url.lastIndexOf("/") - 1)),
        code: code === undefined ? "ok" : Code[code],
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        clientId: principal?.clientId,
        tenantId: principal?.tenantId,
      };
      if (failure && failure.code === Code.Internal)
        logger.error({ ...line, err: failure.cause ?? failure }, "call failed");
      else logger.info(line, "call");
      if (metrics) {
        const labels = { api, method: req.method.name, protocol: line.protocol };
        metrics.inFlight.dec({ api });
        metrics.calls.inc({ ...labels, code: line.code });
        metrics.callSeconds.observe(labels, (performance.now() - started) / 1000);
      }
    }
  };
}

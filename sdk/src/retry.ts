import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Retries of idempotent calls on Unavailable and ResourceExhausted, with jittered backoff. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts?: number;
  /** First backoff cap (default 100 ms); doubles per attempt up to `maxDelayMs` (default 2 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

const retryable = new Set([Code.Unavailable, Code.ResourceExhausted]);
/** Socket errors that mean the request never reached a handler or its answer was lost with the connection. */
const connectionLost = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
]);

/** Whether an error is retryable for a call that is safe to repeat. */
function isRetryable(err: ConnectError): boolean {
  if (retryable.has(err.code)) return true;
  for (let c: unknown = err.cause; c instanceof Error; c = c.cause) {
    if (connectionLost.has((c as { code?: string }).code ?? "")) return true;
  }
  return false;
}

/**
 * Retries with full-jitter backoff on Unavailable and ResourceExhausted (honouring `retry-after`) and
 * on a connection lost under the call (EPIPE, ECONNRESET: a server restarting),
 * within the call's deadline, and only when a retry cannot duplicate work: read RPCs
 * (`idempotency_level = NO_SIDE_EFFECTS`) always, other RPCs only when their request carries a
 * non-empty `batchId` (the ingest idempotency key).
 */
export function retryInterceptor(opts: RetryOptions = {}): Interceptor {
  const maxAttempts = opts.maxAttempts ?? 5;
  const base = opts.baseDelayMs ?? 100;
  const cap = opts.maxDelayMs ?? 2_000;
  return (next) => async (req) => {
    const safe = req.method.idempotency === 1 /* NO_SIDE_EFFECTS */ || hasIdempotencyKey(req.message);
    if (!safe || req.stream) return next(req);
    const timeoutMs = timeoutOf(req.header);
    const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        const err = ConnectError.from(e);
        if (!isRetryable(err) || attempt >= maxAttempts || req.signal.aborted) throw err;
        const retryAfter = Number(err.metadata.get("retry-after"));
        const backoff = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff;
        if (deadline !== undefined && Date.now() + wait >= deadline) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
}

/** The call's remaining time from its protocol header (Connect: ms; gRPC and gRPC-Web: value + unit). */
function timeoutOf(h: Headers): number | undefined {
  const connect = h.get("connect-timeout-ms");
  if (connect) return Number(connect);
  const m = /^(\d+)([HMSmun])$/.exec(h.get("grpc-timeout") ?? "");
  if (!m) return undefined;
  const unit = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[m[2] as "H"]!;
  return Number(m[1]) * unit;
}

function hasIdempotencyKey(message: unknown): boolean {
  const m = message as { batchId?: unknown } | undefined;
  return typeof m?.batchId === "string" && m.batchId !== "";
}

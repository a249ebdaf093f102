import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";

/** When the call must have answered (epoch ms): the caller's deadline, or the server's cap. */
export const kDeadlineAt = createContextKey<number | undefined>(undefined, { description: "deadline" });

/**
 * Deadlines that hold end to end. A unary call answers DeadlineExceeded when its deadline passes (or
 * Canceled when its caller leaves), whether or not the handler has finished: the handler's database
 * work was given the same deadline (`maxTimeMS`, and the call's signal) and stops on its own. Calls
 * without a deadline get `capMs`.
 */
export function createDeadlineInterceptor(capMs: number): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    let timer: NodeJS.Timeout | undefined;
    const given = deadlineFromHeaders(req.header);
    const leftMs = Math.min(capMs, given ?? capMs);
    req.contextValues.set(kDeadlineAt, Date.now() + leftMs);
    const running = next(req);
    running.catch(() => {}); // answered below if the deadline wins; its late failure is nobody's
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectError("the call exceeded its deadline", Code.DeadlineExceeded)),
        leftMs,
      );
      const onAbort = () => reject(ConnectError.from(req.signal.reason, Code.Canceled));
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener("abort", onAbort, { once: true });
    });
    expired.catch(() => {});
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Time left for the database: the call's deadline minus a margin for the answer, at least 1 ms. */
export function dbTimeoutMs(ctx: HandlerContext): number {
  const at = ctx.values.get(kDeadlineAt);
  const left = at !== undefined ? at - Date.now() : (ctx.timeoutMs() ?? 30_000);
  return Math.max(1, left - 50);
}

/** The caller's deadline from the protocol's header (Connect: ms; gRPC and gRPC-Web: value + unit). */
function deadlineFromHeaders(h: Headers): number | undefined {
  const connect = h.get("connect-timeout-ms");
  if (connect && /^\d{1,10}$/.test(connect)) return Number(connect);
  const m = /^(\d{1,8})([HMSmun])$/.exec(h.get("grpc-timeout") ?? "");
  if (!m) return undefined;
  const unit = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[m[2] as "H"];
  return Number(m[1]) * unit;
}

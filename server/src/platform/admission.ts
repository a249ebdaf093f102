import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import { kPrincipal } from "./context.js";

/** One class of calls' share per tenant. */
export interface ShareLimits {
  /** Calls running at once; further ones wait in a short queue, then are refused. */
  readonly concurrency: number;
  /** Sustained calls per second (token bucket). */
  readonly perSecond: number;
  /** Calls allowed in a burst above the sustained rate. */
  readonly burst: number;
}

/** Per-tenant concurrency, queue and rate limits. */
export interface AdmissionLimits {
  readonly reads: ShareLimits;
  readonly ingests: ShareLimits;
  /** How long a call may wait for a running slot before it is refused. */
  readonly queueMs: number;
}

/** Why a call was refused, for metrics. */
export type RefusalReason = "rate" | "concurrency";

/** Per-tenant token bucket and concurrency slots of one class of calls. */
class Gate {
  private tokens: number;
  private refilledAt = performance.now();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: ShareLimits) {
    this.tokens = limits.burst;
  }

  /** Seconds until the next token, or 0 when one was taken. */
  takeToken(): number {
    const now = performance.now();
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.perSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limits.perSecond));
  }

  /** A running slot: at once, after a wait of at most `queueMs`, or undefined (refused). */
  async acquire(queueMs: number, signal: AbortSignal): Promise<(() => void) | undefined> {
    if (this.running < this.limits.concurrency) {
      this.running++;
      return this.releaser();
    }
    // At most as many waiting as running: a tenant that floods is refused, not queued without end.
    if (this.waiting.length >= this.limits.concurrency) return undefined;
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", giveUp);
        this.running++;
        resolve(this.releaser());
      };
      const giveUp = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        clearTimeout(timer);
        resolve(undefined);
      };
      const timer = setTimeout(giveUp, queueMs);
      signal.addEventListener("abort", giveUp, { once: true });
      this.waiting.push(grant);
    });
  }

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }
}

/**
 * Per-tenant admission control, applied once at the edge for every protocol (after authentication):
 * each tenant has a share of reads and a share of ingests (writes, admin calls), each a token bucket
 * and a number of running slots with a short queue. A tenant over its share is answered
 * ResourceExhausted (HTTP 429) with `retry-after` in seconds; other tenants never wait for it.
 * Unauthenticated calls (health, reflection, refused tokens) are not counted here. Gates of idle
 * tenants are forgotten (LRU), so memory stays bounded whatever the number of tenants.
 */
export function createAdmissionInterceptor(
  limits: AdmissionLimits,
  onRefused: (tenantId: string, reason: RefusalReason) => void = () => {},
): Interceptor {
  const gates = new LRUCache<string, Gate>({ max: 10_000 });
  const gateOf = (key: string, share: ShareLimits): Gate => {
    let g = gates.get(key);
    if (!g) {
      g = new Gate(share);
      gates.set(key, g);
    }
    return g;
  };
  return (next) => async (req) => {
    const principal = req.contextValues.get(kPrincipal);
    if (!principal) return next(req);
    const read = req.method.idempotency === 1; // NO_SIDE_EFFECTS
    const share = read ? limits.reads : limits.ingests;
    const gate = gateOf(`${read ? "r" : "w"}\u0000${principal.tenantId}`, share);
    const kind = read ? "reads" : "ingests";
    const wait = gate.takeToken();
    if (wait > 0) {
      onRefused(principal.tenantId, "rate");
      throw refused(
        `tenant ${principal.tenantId} is over its rate of ${kind} (${share.perSecond}/s); retry later`,
        wait,
      );
    }
    const release = await gate.acquire(limits.queueMs, req.signal);
    if (!release) {
      onRefused(principal.tenantId, "concurrency");
      throw refused(`tenant ${principal.tenantId} has ${share.concurrency} ${kind} running already; retry later`, 1);
    }
    try {
      return await next(req);
    } finally {
      release();
    }
  };
}

function refused(message: string, retryAfterSeconds: number): ConnectError {
  const err = new ConnectError(message, Code.ResourceExhausted);
  err.metadata.set("retry-after", String(retryAfterSeconds));
  return err;
}

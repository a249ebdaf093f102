import { LRUCache } from "lru-cache";

/** Failed-login budgets of the token endpoint, per client and source and per source. */
export interface LoginGuardLimits {
  /** Failures of one client id from one source address before that pair waits out the window. */
  readonly perPair: number;
  /** Failures from one source address (any client ids) before that source waits out the window. */
  readonly perSource: number;
  readonly windowMs: number;
}

/**
 * Counts failed token requests per (client id, source address) and per source, never per client id
 * alone: a stranger's guesses lock out the stranger, not the client's owner. A pair that succeeded
 * recently is "trusted": it passes the per-source limit (its owner shares an address with a noisy
 * neighbour) and goes first in the hashing queue. Every map is an LRU with a TTL, so memory stays
 * bounded however many ids and addresses an attacker invents.
 */
export class LoginGuard {
  private readonly pairs: LRUCache<string, number[]>;
  private readonly sources: LRUCache<string, number[]>;
  private readonly trusted: LRUCache<string, true>;

  constructor(private readonly limits: LoginGuardLimits) {
    this.pairs = new LRUCache({ max: 50_000, ttl: limits.windowMs });
    this.sources = new LRUCache({ max: 50_000, ttl: limits.windowMs });
    this.trusted = new LRUCache({ max: 50_000, ttl: 24 * 3_600_000 });
  }

  /** Seconds the caller must wait before trying, or 0. */
  retryAfter(clientId: string, source: string): number {
    const pair = this.recent(this.pairs, key(clientId, source));
    if (pair.length >= this.limits.perPair) return this.wait(pair);
    if (this.isTrusted(clientId, source)) return 0;
    const src = this.recent(this.sources, source);
    return src.length >= this.limits.perSource ? this.wait(src) : 0;
  }

  isTrusted(clientId: string, source: string): boolean {
    return this.trusted.has(key(clientId, source));
  }

  failed(clientId: string, source: string): void {
    const now = Date.now();
    this.pairs.set(
      key(clientId, source),
      [...this.recent(this.pairs, key(clientId, source)), now].slice(-this.limits.perPair),
    );
    this.sources.set(source, [...this.recent(this.sources, source), now].slice(-this.limits.perSource));
  }

  succeeded(clientId: string, source: string): void {
    this.pairs.delete(key(clientId, source));
    this.trusted.set(key(clientId, source), true);
  }

  private recent(map: LRUCache<string, number[]>, k: string): number[] {
    const now = Date.now();
    return (map.get(k) ?? []).filter((t) => now - t < this.limits.windowMs);
  }

  private wait(times: readonly number[]): number {
    return Math.max(1, Math.ceil((this.limits.windowMs - (Date.now() - times[0]!)) / 1000));
  }
}

function key(clientId: string, source: string): string {
  return `${clientId}\u0000${source}`;
}

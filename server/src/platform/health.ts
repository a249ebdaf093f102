import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import {
  type Health,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthListResponseSchema,
  type HealthListResponse,
} from "@tally/sdk/gen/grpc/health/v1/health_pb.js";

/**
 * Serving status per service name ("" is the whole server), observable for Watch. Everything is
 * SERVING exactly when start-up work is done (e.g. the demo load), the database is up, and the
 * server is not shutting down; `/readyz` and gRPC health read the same state.
 */
export class HealthState {
  private readonly serviceNames: readonly string[];
  private readonly listeners = new Set<() => void>();
  private started: boolean;
  private databaseUp = true;
  private shuttingDown = false;

  /** `started: false` keeps everything NOT_SERVING until {@link setStarted}. */
  constructor(serviceNames: readonly string[], started = true) {
    this.serviceNames = ["", ...serviceNames];
    this.started = started;
  }

  get(service: string): Status | undefined {
    if (!this.serviceNames.includes(service)) return undefined;
    return this.serving ? Status.SERVING : Status.NOT_SERVING;
  }

  names(): string[] {
    return [...this.serviceNames];
  }

  /** Whether the server is ready for traffic. */
  get serving(): boolean {
    return this.started && this.databaseUp && !this.shuttingDown;
  }

  /** Why the server is not ready, for `/readyz` (empty when it is). */
  get reasons(): string[] {
    return [
      ...(this.started ? [] : ["starting"]),
      ...(this.databaseUp ? [] : ["database unavailable"]),
      ...(this.shuttingDown ? ["shutting down"] : []),
    ];
  }

  /** Start-up work (such as the demo load) is done. */
  setStarted(): void {
    this.update(() => (this.started = true));
  }

  /** Marks every service NOT_SERVING for good (shutdown). */
  setAllNotServing(): void {
    this.update(() => (this.shuttingDown = true));
  }

  /** The database went away (false) or came back (true). */
  setDatabaseServing(serving: boolean): void {
    this.update(() => (this.databaseUp = serving));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private update(change: () => void): void {
    const before = this.serving;
    change();
    if (this.serving !== before) for (const l of this.listeners) l();
  }
}

/** grpc.health.v1.Health on Connect. */
export class HealthServiceImpl implements ServiceImpl<typeof Health> {
  constructor(private readonly state: HealthState) {}

  check(req: HealthCheckRequest): HealthCheckResponse {
    const status = this.state.get(req.service);
    if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
    return create(HealthCheckResponseSchema, { status });
  }

  async *watch(req: HealthCheckRequest, ctx: { signal: AbortSignal }): AsyncIterable<HealthCheckResponse> {
    let wake: (() => void) | undefined;
    const off = this.state.onChange(() => wake?.());
    const aborted = new Promise<void>((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    try {
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const status = this.state.get(req.service) ?? Status.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield create(HealthCheckResponseSchema, { status });
        }
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
      }
    } finally {
      off();
    }
  }

  list(): HealthListResponse {
    const statuses: Record<string, HealthCheckResponse> = {};
    for (const name of this.state.names())
      statuses[name] = create(HealthCheckResponseSchema, { status: this.state.get(name) });
    return create(HealthListResponseSchema, { statuses });
  }
}

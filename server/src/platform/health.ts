import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthListResponseSchema,
  type HealthListResponse,
} from "@tally/sdk/gen/grpc/health/v1/health_pb.js";

/** Serving status per service name ("" is the whole server), observable for Watch. */
export class HealthState {
  private readonly statuses = new Map<string, Status>();
  private readonly listeners = new Set<() => void>();

  constructor(serviceNames: readonly string[]) {
    this.statuses.set("", Status.SERVING);
    for (const s of serviceNames) this.statuses.set(s, Status.SERVING);
  }

  get(service: string): Status | undefined {
    return this.statuses.get(service);
  }

  names(): string[] {
    return [...this.statuses.keys()];
  }

  private shuttingDown = false;

  /** Marks every service NOT_SERVING for good (shutdown). */
  setAllNotServing(): void {
    this.shuttingDown = true;
    this.setAll(Status.NOT_SERVING);
  }

  /** The database went away (false) or came back (true); no effect once shutting down. */
  setDatabaseServing(serving: boolean): void {
    if (!this.shuttingDown) this.setAll(serving ? Status.SERVING : Status.NOT_SERVING);
  }

  private setAll(status: Status): void {
    for (const k of this.statuses.keys()) this.statuses.set(k, status);
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
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
    for (const name of this.state.names()) statuses[name] = create(HealthCheckResponseSchema, { status: this.state.get(name) });
    return create(HealthListResponseSchema, { statuses });
  }
}

import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AdminService } from "./gen/tally/admin/v1/admin_pb.js";
import { DeliveryStatsService } from "./gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { JobsService } from "./gen/tally/jobs/v1/jobs_pb.js";
import { MetricsService } from "./gen/tally/metrics/v1/metrics_pb.js";
import { RecordsService } from "./gen/tally/records/v1/records_pb.js";
import { TelemetryService } from "./gen/tally/telemetry/v1/telemetry_pb.js";
import { authInterceptor, clientCredentials, type TokenProvider } from "./auth.js";
import { retryInterceptor, type RetryOptions } from "./retry.js";

/** How the client authenticates: client credentials, a fixed token, or your own provider. */
export type TallyAuth =
  | { readonly clientId: string; readonly clientSecret: string; readonly scope?: string }
  | { readonly token: string }
  | { readonly tokenProvider: TokenProvider };

/** Options every Tally client takes: the base URL, how to authenticate, retries. */
export type TallyClientOptions = TallyAuth & {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** Default deadline per call (default 30 s); a call's own `timeoutMs` wins. */
  readonly timeoutMs?: number;
  /** Retry policy, or `false` for none. */
  readonly retry?: RetryOptions | false;
  /** Extra interceptors, outermost first (run before retries and auth). */
  readonly interceptors?: readonly Interceptor[];
  /** Clock for token expiry, for tests. */
  readonly now?: () => number;
};

/** Typed clients for every Tally service. */
export interface TallyClient {
  readonly jobs: Client<typeof JobsService>;
  readonly records: Client<typeof RecordsService>;
  readonly metrics: Client<typeof MetricsService>;
  readonly deliveryStats: Client<typeof DeliveryStatsService>;
  readonly telemetry: Client<typeof TelemetryService>;
  readonly admin: Client<typeof AdminService>;
}

/** What a platform entry point (Node or browser) supplies: a transport built with these interceptors. */
export type TransportFactory = (interceptors: Interceptor[], defaultTimeoutMs: number) => Transport;

/** The token source the options describe: a fixed token, a provider, or client credentials. */
export function tokenProviderOf(opts: TallyClientOptions): TokenProvider {
  if ("tokenProvider" in opts) return opts.tokenProvider;
  if ("token" in opts) {
    const t = opts.token;
    return async () => t;
  }
  return clientCredentials({
    baseUrl: opts.baseUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    scope: opts.scope,
    now: opts.now,
  });
}

/** Builds the clients over a platform transport: interceptors are [yours..., retry, auth]. */
export function createTallyClientWith(opts: TallyClientOptions, transport: TransportFactory): TallyClient {
  const interceptors: Interceptor[] = [...(opts.interceptors ?? [])];
  if (opts.retry !== false) interceptors.push(retryInterceptor(opts.retry ?? {}));
  interceptors.push(authInterceptor(tokenProviderOf(opts)));
  const t = transport(interceptors, opts.timeoutMs ?? 30_000);
  return {
    jobs: createClient(JobsService, t),
    records: createClient(RecordsService, t),
    metrics: createClient(MetricsService, t),
    deliveryStats: createClient(DeliveryStatsService, t),
    telemetry: createClient(TelemetryService, t),
    admin: createClient(AdminService, t),
  };
}

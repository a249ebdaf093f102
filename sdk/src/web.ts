import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createTallyClientWith, type TallyClient, type TallyClientOptions } from "./client.js";

/** Client options in browsers: TallyClientOptions over fetch (Connect or gRPC-Web). */
export type WebTallyClientOptions = TallyClientOptions & {
  /** Browsers speak Connect or gRPC-Web (default "connect"). */
  readonly transport?: "connect" | "grpc-web";
};

/** A Tally client for browsers (connect-web transports over fetch). */
export function createTallyClient(opts: WebTallyClientOptions): TallyClient {
  return createTallyClientWith(opts, (interceptors, defaultTimeoutMs) => {
    const common = { baseUrl: opts.baseUrl, interceptors, defaultTimeoutMs };
    return opts.transport === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport(common);
  });
}

import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createTallyClientWith, type TallyClient, type TallyClientOptions } from "./client.js";

/** Client options on Node: TallyClientOptions plus the wire protocol and HTTP version. */
export type NodeTallyClientOptions = TallyClientOptions & {
  /** Wire protocol (default "connect"). */
  readonly transport?: "connect" | "grpc" | "grpc-web";
  /** HTTP version for connect and gRPC-Web (gRPC is always HTTP/2; default "2" for connect). */
  readonly httpVersion?: "1.1" | "2";
};

/** A Tally client for Node.js (connect-node transports). */
export function createTallyClient(opts: NodeTallyClientOptions): TallyClient {
  return createTallyClientWith(opts, (interceptors, defaultTimeoutMs) => {
    const common = { baseUrl: opts.baseUrl, interceptors, defaultTimeoutMs };
    switch (opts.transport ?? "connect") {
      case "grpc":
        return createGrpcTransport(common);
      case "grpc-web":
        return createGrpcWebTransport({ ...common, httpVersion: opts.httpVersion ?? "1.1" });
      default:
        return createConnectTransport({ ...common, httpVersion: opts.httpVersion ?? "2" });
    }
  });
}

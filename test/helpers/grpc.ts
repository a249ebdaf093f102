import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));

/** Loads our .proto files with @grpc/proto-loader, as a non-TypeScript gRPC user would. */
export function loadProtos(files: string[]): grpc.GrpcObject {
  const def = protoLoader.loadSync(files, {
    includeDirs: [protoRoot],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def);
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;

/** A typed-enough grpc-js client for a loaded service, e.g. `client(pkg, "grpc.health.v1.Health", url)`. */
export function grpcClient(
  pkg: grpc.GrpcObject,
  service: string,
  url: string,
): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  let cur: unknown = pkg;
  for (const part of service.split(".")) cur = (cur as Record<string, unknown>)[part];
  const address = url.replace(/^https?:\/\//, "");
  return new (cur as Ctor)(address, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, (...args: unknown[]) => unknown>;
}

/** Promisified unary call; resolves with the response or rejects with the grpc ServiceError. */
export function unary<T>(
  client: grpc.Client & Record<string, (...args: unknown[]) => unknown>,
  method: string,
  request: unknown,
  metadata = new grpc.Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, metadata, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

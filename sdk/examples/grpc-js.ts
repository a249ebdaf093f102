// For gRPC users outside TypeScript's SDK: plain @grpc/grpc-js with @grpc/proto-loader and our .proto files.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export async function grpcJsExample(address: string, accessToken: string, protoRoot: string): Promise<string> {
  const def = protoLoader.loadSync("tally/metrics/v1/metrics.proto", { includeDirs: [protoRoot], longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { tally: { metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } } } };
  const client = new pkg.tally.metrics.v1.MetricsService(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${accessToken}`);
  const res = await new Promise<{ results: { name: string }[] }>((resolve, reject) =>
    (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: Error | null, r: never) => void) => void>).listMetricsTypes!({}, md, (e, r) => (e ? reject(e) : resolve(r))),
  );
  client.close();
  return res.results.map((r) => r.name).join(", ");
}

import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createClient, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ListMetricsTypesResponseSchema, MetricsService } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { metricsTypes } from "../../server/src/apis/metrics/catalogue.js";
import { typeMessage } from "../../server/src/apis/metrics/convert.js";
import { listen } from "../../server/src/listen.js";
import { load, ratio, type Figure } from "./stats.js";

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));

/** A bare connect-node server on the same one-port listener, answering the same message as a constant. */
async function startBare() {
  const constant = create(ListMetricsTypesResponseSchema, { count: 3n, results: metricsTypes.map(typeMessage) });
  const routes = (r: ConnectRouter) => void r.service(MetricsService, { listMetricsTypes: () => constant });
  return listen(connectNodeAdapter({ routes, grpc: true, grpcWeb: true, connect: true }) as never, { host: "127.0.0.1", port: 0 });
}

function grpcJsCall(url: string, token: string) {
  const def = protoLoader.loadSync("tally/metrics/v1/metrics.proto", { includeDirs: [protoRoot], longs: String });
  const Ctor = (grpc.loadPackageDefinition(def) as unknown as { tally: { metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } } } }).tally.metrics.v1.MetricsService;
  const client = new Ctor(url.replace("http://", ""), grpc.credentials.createInsecure()) as unknown as { listMetricsTypes(r: object, m: grpc.Metadata, cb: (e: Error | null) => void): void; close(): void };
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return { call: () => new Promise<void>((res, rej) => client.listMetricsTypes({}, md, (e) => (e ? rej(e) : res()))), close: () => client.close() };
}

/**
 * The same cached trivial read (the metrics catalogue) over every protocol, Tally (auth, validation,
 * transcoding) against the bare server: p50/p99 at concurrency 1 and throughput at 64.
 */
export async function benchProtocols(tallyUrl: string, token: string, calls: number): Promise<Figure[]> {
  const bare = await startBare();
  const headers = { authorization: `Bearer ${token}` };
  const out: Figure[] = [];
  const results: Record<string, { tally: Awaited<ReturnType<typeof load>>; bare?: Awaited<ReturnType<typeof load>> }> = {};
  const protocols: [string, (url: string) => { call: () => Promise<unknown>; close?: () => void }][] = [
    ["connect h1.1", (url) => {
      const c = createClient(MetricsService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
      return { call: () => c.listMetricsTypes({}, { headers }) };
    }],
    ["connect h2c", (url) => {
      const c = createClient(MetricsService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      return { call: () => c.listMetricsTypes({}, { headers }) };
    }],
    ["grpc (grpc-js)", (url) => grpcJsCall(url, token)],
    ["grpc-web h1.1", (url) => {
      const c = createClient(MetricsService, createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }));
      return { call: () => c.listMetricsTypes({}, { headers }) };
    }],
  ];
  for (const [name, make] of protocols) {
    for (const [which, url] of [["tally", tallyUrl], ["bare", bare.url]] as const) {
      const client = make(url);
      await load(client.call, 50, 1);
      const c1 = await load(client.call, calls, 1);
      const c64 = await load(client.call, calls * 2, 64);
      client.close?.();
      const entry = (results[name] ??= { tally: c1 });
      if (which === "tally") entry.tally = c1;
      else entry.bare = c1;
      out.push({ section: "protocol", name: `${name} ${which} c=1`, size: `${calls} calls`, value: `p50 ${c1.p50.toFixed(2)} ms, p99 ${c1.p99.toFixed(2)} ms` });
      out.push({ section: "protocol", name: `${name} ${which} c=64`, size: `${calls * 2} calls`, value: `${c64.rps} calls/s, p99 ${c64.p99.toFixed(1)} ms, errors ${c64.errors}` });
    }
    const r = results[name]!;
    out.push({ section: "protocol", name: `${name}: Tally / bare (p50, c=1)`, size: "", value: `${r.tally.p50.toFixed(3)} / ${r.bare!.p50.toFixed(3)} ms`, ratio: ratio(r.tally.p50, r.bare!.p50), target: "≤ 1.3" });
  }
  const restCall = () => fetch(`${tallyUrl}/v6/metrics/`, { headers }).then((res) => res.arrayBuffer());
  await load(restCall, 50, 1);
  const rest1 = await load(restCall, calls, 1);
  const rest64 = await load(restCall, calls * 2, 64);
  out.push({ section: "protocol", name: "REST (fetch) tally c=1", size: `${calls} calls`, value: `p50 ${rest1.p50.toFixed(2)} ms, p99 ${rest1.p99.toFixed(2)} ms` });
  out.push({ section: "protocol", name: "REST (fetch) tally c=64", size: `${calls * 2} calls`, value: `${rest64.rps} calls/s, p99 ${rest64.p99.toFixed(1)} ms, errors ${rest64.errors}` });
  const connect = results["connect h1.1"]!.tally;
  out.push({ section: "protocol", name: "REST / Connect h1.1 (p50, c=1)", size: "", value: `${rest1.p50.toFixed(3)} / ${connect.p50.toFixed(3)} ms`, ratio: ratio(rest1.p50, connect.p50), target: "≤ 1.15" });
  await bare.close(1000);
  return out;
}

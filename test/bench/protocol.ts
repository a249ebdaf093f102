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
import { load, percentile, ratio, type Figure } from "./stats.js";

const ROUNDS = 10;

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));

/** A bare connect-node server on the same one-port listener, answering the same message as a constant. */
async function startBare() {
  const constant = create(ListMetricsTypesResponseSchema, { count: 3n, results: metricsTypes.map(typeMessage) });
  const routes = (r: ConnectRouter) => void r.service(MetricsService, { listMetricsTypes: () => constant });
  return listen(connectNodeAdapter({ routes, grpc: true, grpcWeb: true, connect: true }) as never, {
    host: "127.0.0.1",
    port: 0,
  });
}

function grpcJsCall(url: string, token: string) {
  const def = protoLoader.loadSync("tally/metrics/v1/metrics.proto", { includeDirs: [protoRoot], longs: String });
  const Ctor = (
    grpc.loadPackageDefinition(def) as unknown as {
      tally: { metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } } };
    }
  ).tally.metrics.v1.MetricsService;
  const client = new Ctor(url.replace("http://", ""), grpc.credentials.createInsecure()) as unknown as {
    listMetricsTypes(r: object, m: grpc.Metadata, cb: (e: Error | null) => void): void;
    close(): void;
  };
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return {
    call: () => new Promise<void>((res, rej) => client.listMetricsTypes({}, md, (e) => (e ? rej(e) : res()))),
    close: () => client.close(),
  };
}

/**
 * The same cached trivial read (the metrics catalogue) over every protocol, Tally (auth, validation,
 * transcoding) against the bare server: p50/p99 at concurrency 1 and throughput at 64.
 */
export async function benchProtocols(tallyUrl: string, token: string, calls: number): Promise<Figure[]> {
  const bare = await startBare();
  const headers = { authorization: `Bearer ${token}` };
  const out: Figure[] = [];
  const protocols: [string, (url: string) => { call: () => Promise<unknown>; close?: () => void }][] = [
    [
      "connect h1.1",
      (url) => {
        const c = createClient(MetricsService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
        return { call: () => c.listMetricsTypes({}, { headers }) };
      },
    ],
    [
      "connect h2c",
      (url) => {
        const c = createClient(MetricsService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
        return { call: () => c.listMetricsTypes({}, { headers }) };
      },
    ],
    ["grpc (grpc-js)", (url) => grpcJsCall(url, token)],
    [
      "grpc-web h1.1",
      (url) => {
        const c = createClient(MetricsService, createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }));
        return { call: () => c.listMetricsTypes({}, { headers }) };
      },
    ],
  ];
  for (const [name, make] of protocols) {
    const clients = { tally: make(tallyUrl), bare: make(bare.url) };
    const r = await interleaved({ tally: clients.tally.call, bare: clients.bare.call }, calls);
    for (const c of Object.values(clients)) c.close?.();
    for (const which of ["tally", "bare"] as const) out.push(...describe(`${name} ${which}`, r[which]));
    out.push({
      section: "protocol",
      name: `${name}: Tally / bare (p50, c=1)`,
      size: "",
      value: `${r.tally.p50.toFixed(3)} / ${r.bare.p50.toFixed(3)} ms`,
      ratio: ratio(r.tally.p50, r.bare.p50),
      target: "≤ 1.3",
    });
    out.push({
      section: "protocol",
      name: `${name}: Tally / bare (throughput, c=64)`,
      size: "",
      value: `${r.tally.rps} / ${r.bare.rps} calls/s`,
      ratio: ratio(r.bare.rps, r.tally.rps),
      note: "bare ÷ Tally calls/s",
    });
  }
  const restCall = () => fetch(`${tallyUrl}/v6/metrics/`, { headers }).then((res) => res.arrayBuffer());
  const connect = createClient(MetricsService, createConnectTransport({ baseUrl: tallyUrl, httpVersion: "1.1" }));
  const r = await interleaved({ rest: restCall, connect: () => connect.listMetricsTypes({}, { headers }) }, calls);
  out.push(...describe("REST (fetch) tally", r.rest));
  out.push({
    section: "protocol",
    name: "REST / Connect h1.1 (p50, c=1)",
    size: "",
    value: `${r.rest.p50.toFixed(3)} / ${r.connect.p50.toFixed(3)} ms`,
    ratio: ratio(r.rest.p50, r.connect.p50),
    target: "≤ 1.15",
  });
  await bare.close(1000);
  return out;
}

interface Pooled {
  readonly p50: number;
  readonly p99: number;
  readonly p99at64: number;
  readonly rps: number;
  readonly calls1: number;
  readonly calls64: number;
  readonly errors: number;
}

/**
 * `calls` calls at concurrency 1 and twice as many at 64 for each side, in ROUNDS rounds that
 * alternate the sides (ABBA…), so drift on the shared machine (GC, JIT, the other core's work) falls on
 * both alike; each side's figures pool its rounds.
 */
async function interleaved<K extends string>(
  sides: Record<K, () => Promise<unknown>>,
  calls: number,
): Promise<Record<K, Pooled>> {
  const keys = Object.keys(sides) as K[];
  for (const k of keys) await load(sides[k], 100, 1);
  const acc = Object.fromEntries(
    keys.map((k) => [k, { c1: [] as number[], c64: [] as number[], secs64: 0, errors: 0 }]),
  ) as Record<K, { c1: number[]; c64: number[]; secs64: number; errors: number }>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of round % 2 ? [...keys].reverse() : keys) {
      const c1 = await load(sides[k], Math.ceil(calls / ROUNDS), 1);
      const c64 = await load(sides[k], Math.ceil((calls * 2) / ROUNDS), 64);
      acc[k].c1.push(...c1.latencies);
      acc[k].c64.push(...c64.latencies);
      acc[k].secs64 += c64.seconds;
      acc[k].errors += c1.errors + c64.errors;
    }
  }
  return Object.fromEntries(
    keys.map((k) => {
      const a = acc[k];
      return [
        k,
        {
          p50: percentile(a.c1, 50),
          p99: percentile(a.c1, 99),
          p99at64: percentile(a.c64, 99),
          rps: Math.round(a.c64.length / a.secs64),
          calls1: a.c1.length,
          calls64: a.c64.length,
          errors: a.errors,
        },
      ];
    }),
  ) as Record<K, Pooled>;
}

function describe(name: string, p: Pooled): Figure[] {
  return [
    {
      section: "protocol",
      name: `${name} c=1`,
      size: `${p.calls1} calls`,
      value: `p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms`,
    },
    {
      section: "protocol",
      name: `${name} c=64`,
      size: `${p.calls64} calls`,
      value: `${p.rps} calls/s, p99 ${p.p99at64.toFixed(1)} ms, errors ${p.errors}`,
    },
  ];
}

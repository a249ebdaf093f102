// Longer than our ~300-line guide on purpose: the CLI's commands and their help live together, so
// `tally --help` and the code that runs each command cannot drift apart.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import {
  fromJson,
  toJson,
  type DescMethod,
  type DescService,
  type JsonObject,
  type JsonValue,
} from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { AdminService } from "../gen/tally/admin/v1/admin_pb.js";
import { DeliveryStatsService } from "../gen/tally/deliverystats/v1/delivery_stats_pb.js";
import { JobsService } from "../gen/tally/jobs/v1/jobs_pb.js";
import { MetricsService } from "../gen/tally/metrics/v1/metrics_pb.js";
import { RecordsService } from "../gen/tally/records/v1/records_pb.js";
import { TelemetryService } from "../gen/tally/telemetry/v1/telemetry_pb.js";
import { clientCredentials } from "../auth.js";
import { createTallyClient } from "../node.js";
import type { TallyClient } from "../client.js";
import { readProfiles, saveProfile } from "./profile.js";
import { restRequest } from "./rest-call.js";
import { Progress } from "./progress.js";

const usage = `tally — the Tally command line

  tally login [--url URL] [--profile NAME]          store a profile (id/secret from TALLY_CLIENT_ID /
                                                    TALLY_CLIENT_SECRET, or asked for; never on argv)
  tally query <api> <method> [--data JSON] [--output rest|json|table]
                                                    call a read RPC (api: jobs, records, metrics,
                                                    delivery-stats, telemetry, admin); the answer in
                                                    the API's REST shape by default, or the RPC's
                                                    proto JSON (json, --json) or flattened (table)
  tally ingest <api> FILE.ndjson [--parent P] [--type T] [--batch-size N]
                                                    refused items on stderr as FILE:LINE; exit 1 if any
  tally register delivery-service XML_ID [--id N] [--tenant T]
  tally register metric-choices FILE.ndjson [--type job-types|errors|ingests]
  tally register telemetry-metrics FILE.ndjson      what ingests refer to, for a new tenant
  tally admin tenants list | create ID NAME [--parent P] | enable ID | disable ID
  tally admin clients list | create --tenant T [--roles r1,r2] | enable ID | disable ID | rotate-secret ID
  tally admin rotate-signing-key
  tally --help | --version

Connection: --url / TALLY_URL, credentials from TALLY_CLIENT_ID and TALLY_CLIENT_SECRET (or the secret
on standard input with --client-secret-stdin), else the
profile (--profile / TALLY_PROFILE, default "default"). Exit codes: 0 ok, 1 the call failed or items
were refused, 2 usage.`;

class UsageError extends Error {}

/** This package's version (package.json sits two levels above both src/cli and dist/cli). */
function sdkVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}

const services: Record<string, { service: DescService; key: keyof TallyClient }> = {
  jobs: { service: JobsService, key: "jobs" },
  records: { service: RecordsService, key: "records" },
  metrics: { service: MetricsService, key: "metrics" },
  "delivery-stats": { service: DeliveryStatsService, key: "deliveryStats" },
  telemetry: { service: TelemetryService, key: "telemetry" },
  admin: { service: AdminService, key: "admin" },
};

/** Flags that take no value. */
const booleanFlags = new Set(["json", "client-secret-stdin", "help", "version"]);

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (k === "client-secret" || k === "secret")
        throw new UsageError(
          "secrets are never taken from the command line: set TALLY_CLIENT_SECRET or use `tally login`",
        );
      if (v !== undefined) flags.set(k, v);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--") && !booleanFlags.has(k))
        flags.set(k, argv[++i]!);
      else flags.set(k, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

const flag = (a: Args, k: string): string | undefined => {
  const v = a.flags.get(k);
  return typeof v === "string" ? v : undefined;
};

async function ask(question: string, hidden = false): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`${question.trim()} is required (no terminal to ask on)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const answer = await rl.question(question);
  rl.close();
  if (hidden) process.stderr.write("\n");
  return answer.trim();
}

/** `--client-secret-stdin`: the secret is the first line of standard input (e.g. from a secret store). */
function secretFromStdin(a: Args): string | undefined {
  if (!a.flags.has("client-secret-stdin")) return undefined;
  const secret = readFileSync(0, "utf8").split("\n")[0]!.trim();
  if (!secret) throw new UsageError("--client-secret-stdin: standard input held no secret");
  return secret;
}

function connection(a: Args, env: NodeJS.ProcessEnv): { url: string; clientId: string; clientSecret: string } {
  const profile = readProfiles(env)[flag(a, "profile") ?? env.TALLY_PROFILE ?? "default"];
  const url = flag(a, "url") ?? env.TALLY_URL ?? profile?.url;
  const clientId = env.TALLY_CLIENT_ID ?? profile?.clientId;
  const clientSecret = secretFromStdin(a) ?? env.TALLY_CLIENT_SECRET ?? profile?.clientSecret;
  if (!url || !clientId || !clientSecret)
    throw new UsageError("no connection: run `tally login`, or set TALLY_URL, TALLY_CLIENT_ID and TALLY_CLIENT_SECRET");
  return { url, clientId, clientSecret };
}

function client(a: Args, env: NodeJS.ProcessEnv): TallyClient {
  const c = connection(a, env);
  return createTallyClient({ baseUrl: c.url, clientId: c.clientId, clientSecret: c.clientSecret, httpVersion: "1.1" });
}

function findMethod(service: DescService, name: string): DescMethod {
  const norm = name.replace(/[-_]/g, "").toLowerCase();
  const m = service.methods.find(
    (x) => x.name.toLowerCase() === norm || x.localName.toLowerCase() === norm || x.name.toLowerCase().endsWith(norm),
  );
  if (!m)
    throw new UsageError(
      `unknown method ${name}; ${service.name} has: ${service.methods.map((x) => x.localName).join(", ")}`,
    );
  return m;
}

async function call(c: TallyClient, api: string, method: DescMethod, input: JsonValue): Promise<JsonValue> {
  const svc = services[api]!;
  const fn = (c[svc.key] as unknown as Record<string, (req: unknown) => Promise<unknown>>)[method.localName]!;
  const res = await fn(fromJson(method.input, input, { ignoreUnknownFields: false }));
  return toJson(method.output, res as never, { alwaysEmitImplicit: true });
}

/** A readable rendering: one `path: value` line per leaf (arrays of objects as numbered rows). */
function table(v: JsonValue, prefix = ""): string[] {
  if (v === null || typeof v !== "object") return [`${prefix || "value"}: ${JSON.stringify(v)}`];
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  if (entries.length === 0) return [`${prefix || "value"}: ${Array.isArray(v) ? "[]" : "{}"}`];
  return entries.flatMap(([k, x]) => table(x as JsonValue, prefix ? `${prefix}.${k}` : k));
}

/** What one `tally ingest` run did; rejections carry the file's line numbers. */
interface IngestTotals {
  inserted: number;
  updated: number;
  rejected: number;
  replayedBatches: number;
  rejections: { line: number; field: string; reason: string }[];
}

async function ingest(
  a: Args,
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const [api, file] = a.positional.slice(1);
  if (!api || !file) throw new UsageError("usage: tally ingest <api> FILE.ndjson");
  const plan: Record<string, { method: string; field: string; extra: Record<string, JsonValue> }> = {
    jobs: { method: "IngestJobs", field: "jobs", extra: {} },
    records: { method: "IngestRecords", field: "records", extra: { parent: flag(a, "parent") ?? "" } },
    metrics: { method: "IngestMetricRows", field: "rows", extra: { name: flag(a, "type") ?? "job-types" } },
    "delivery-stats": { method: "IngestDeliveryServiceStats", field: "points", extra: {} },
    telemetry: { method: "IngestHistograms", field: "histograms", extra: {} },
  };
  const p = plan[api];
  if (!p) throw new UsageError(`cannot ingest into ${api}; one of ${Object.keys(plan).join(", ")}`);
  const text = readFileSync(file, "utf8");
  const size = Number(flag(a, "batch-size") ?? 1000);
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new UsageError("--batch-size must be 1 to 10000");
  const method = findMethod(services[api]!.service, p.method);
  const itemSchema = method.input.fields.find((f) => f.localName === p.field)?.message;
  // Items with their line numbers. Lines that are not JSON, or not this API's item, are reported by
  // line and not sent; the good ones go to the server, which reports its own refusals per item.
  const totals: IngestTotals = { inserted: 0, updated: 0, rejected: 0, replayedBatches: 0, rejections: [] };
  const items: { line: number; value: JsonValue }[] = [];
  text.split("\n").forEach((l, i) => {
    if (l.trim() === "") return;
    let value: JsonValue;
    try {
      value = JSON.parse(l) as JsonValue;
    } catch {
      totals.rejections.push({ line: i + 1, field: "", reason: "not valid JSON" });
      return;
    }
    if (itemSchema) {
      try {
        fromJson(itemSchema, value, { ignoreUnknownFields: false });
      } catch (e) {
        totals.rejections.push({
          line: i + 1,
          field: "",
          reason: (e as Error).message.replace(/^cannot decode message [\w.]+ from JSON: /, "").slice(0, 200),
        });
        return;
      }
    }
    items.push({ line: i + 1, value });
  });
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const c = client(a, env);
  const progress = new Progress(items.length, `ingest ${api}`);
  for (let i = 0; i < items.length; i += size) {
    const batch = items.slice(i, i + size);
    // A batch id from the file's content and position: re-running the same file changes nothing that
    // was stored, and stores what was refused before once its cause is fixed.
    const res = (await call(c, api, method, {
      ...p.extra,
      batchId: `${digest}-${i / size}`,
      [p.field]: batch.map((b) => b.value),
    })) as { result: Record<string, JsonValue> };
    if (res.result.replayed === true) totals.replayedBatches++;
    totals.inserted += Number(res.result.inserted ?? 0);
    totals.updated += Number(res.result.updated ?? 0);
    for (const r of (res.result.rejections as { index: number; field?: string; reason?: string }[] | undefined) ?? []) {
      totals.rejections.push({ line: batch[r.index]?.line ?? 0, field: r.field ?? "", reason: r.reason ?? "" });
    }
    progress.update(Math.min(items.length, i + size));
  }
  progress.finish();
  totals.rejections.sort((x, y) => x.line - y.line);
  totals.rejected = totals.rejections.length;
  for (const r of totals.rejections) err(`${file}:${r.line}: ${r.field ? `${r.field}: ` : ""}${r.reason}`);
  if (totals.replayedBatches)
    err(`${totals.replayedBatches} batch(es) had been stored before (replays: nothing changed)`);
  out(JSON.stringify(totals));
  return totals.rejected > 0 ? 1 : 0;
}

/** Registering what each API's data refers to, so a new tenant's ingests are accepted. */
async function register(a: Args, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<void> {
  const [, what, ...rest] = a.positional;
  const c = client(a, env);
  const readItems = (file: string | undefined): JsonValue[] => {
    if (!file) throw new UsageError(`usage: tally register ${what} FILE.ndjson`);
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l, i) => {
        try {
          return JSON.parse(l) as JsonValue;
        } catch {
          throw new UsageError(`${file}:${i + 1}: not valid JSON`);
        }
      });
  };
  switch (what) {
    case "delivery-service": {
      const xmlId = rest[0];
      if (!xmlId) throw new UsageError("usage: tally register delivery-service XML_ID [--id N] [--tenant T]");
      const res = await c.deliveryStats.registerDeliveryService({
        xmlId,
        id: BigInt(flag(a, "id") ?? 0),
        tenantId: flag(a, "tenant") ?? "",
      });
      out(JSON.stringify({ xmlId: res.xmlId, id: Number(res.id), tenantId: res.tenantId }));
      return;
    }
    case "metric-choices": {
      // Choices travel with metric rows; a batch with choices and no rows registers just them.
      const type = flag(a, "type") ?? "job-types";
      const method = findMethod(MetricsService, "IngestMetricRows");
      const res = await call(c, "metrics", method, { name: type, choices: readItems(rest[0]), rows: [] });
      out(JSON.stringify((res as { result: JsonValue }).result));
      return;
    }
    case "telemetry-metrics": {
      const method = findMethod(TelemetryService, "PutMetricDefinitions");
      const res = await call(c, "telemetry", method, { metrics: readItems(rest[0]) });
      out(JSON.stringify((res as { result: JsonValue }).result));
      return;
    }
    default:
      throw new UsageError(
        "usage: tally register delivery-service XML_ID | metric-choices FILE.ndjson [--type T] | telemetry-metrics FILE.ndjson",
      );
  }
}

async function admin(a: Args, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<void> {
  const [, what, verb, ...rest] = a.positional;
  const c = client(a, env).admin;
  const print = (m: unknown, schema: DescMethod["output"]) => out(JSON.stringify(toJson(schema, m as never)));
  const m = (name: string) => findMethod(AdminService, name);
  if (what === "rotate-signing-key") return print(await c.rotateSigningKey({}), m("RotateSigningKey").output);
  if (what === "tenants") {
    if (verb === "list") return print(await c.listTenants({}), m("ListTenants").output);
    if (verb === "create" && rest[0] && rest[1])
      return print(
        await c.createTenant({ id: rest[0], name: rest[1], parentId: flag(a, "parent") ?? "" }),
        m("CreateTenant").output,
      );
    if ((verb === "enable" || verb === "disable") && rest[0])
      return print(await c.setTenantActive({ id: rest[0], active: verb === "enable" }), m("SetTenantActive").output);
  }
  if (what === "clients") {
    if (verb === "list") return print(await c.listClients({}), m("ListClients").output);
    if (verb === "create" && flag(a, "tenant")) {
      const roles = (flag(a, "roles") ?? "reader").split(",").filter(Boolean);
      return print(await c.createClient({ tenantId: flag(a, "tenant")!, roles }), m("CreateClient").output);
    }
    if ((verb === "enable" || verb === "disable") && rest[0])
      return print(await c.setClientActive({ id: rest[0], active: verb === "enable" }), m("SetClientActive").output);
    if (verb === "rotate-secret" && rest[0])
      return print(await c.rotateClientSecret({ id: rest[0] }), m("RotateClientSecret").output);
  }
  throw new UsageError("usage: tally admin tenants|clients|rotate-signing-key ... (see tally --help)");
}

/** Runs the CLI; returns the exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  try {
    const a = parseArgs(argv);
    const cmd = a.positional[0];
    if (a.flags.has("version") || cmd === "version") {
      out(`tally ${sdkVersion()}`);
      return 0;
    }
    if (a.flags.has("help") || cmd === "help") {
      out(usage);
      return 0;
    }
    if (!cmd) {
      err(usage);
      return 2;
    }
    switch (cmd) {
      case "login": {
        const url = flag(a, "url") ?? env.TALLY_URL ?? (await ask("Tally URL: "));
        const clientId = env.TALLY_CLIENT_ID ?? (await ask("client id: "));
        const clientSecret = secretFromStdin(a) ?? env.TALLY_CLIENT_SECRET ?? (await ask("client secret: ", true));
        await clientCredentials({ baseUrl: url, clientId, clientSecret })(true);
        const path = saveProfile(
          flag(a, "profile") ?? env.TALLY_PROFILE ?? "default",
          { url, clientId, clientSecret },
          env,
        );
        err(`logged in as ${clientId}; profile saved in ${path}`);
        return 0;
      }
      case "query": {
        const [, api, name] = a.positional;
        const svc = api ? services[api] : undefined;
        if (!svc || !name)
          throw new UsageError(`usage: tally query <api> <method>; api is one of ${Object.keys(services).join(", ")}`);
        const method = findMethod(svc.service, name);
        if (method.idempotency !== 1)
          throw new UsageError(`${method.name} is not a read RPC; use \`tally ingest\` or \`tally admin\``);
        let data: JsonValue = {};
        const raw = flag(a, "data");
        if (raw) {
          try {
            data = JSON.parse(raw) as JsonValue;
          } catch {
            throw new UsageError("--data must be JSON");
          }
        }
        const output = flag(a, "output") ?? (a.flags.has("json") ? "json" : "rest");
        if (output === "rest") {
          // The API's own REST answer, exactly as its documented clients see it.
          const req = restRequest(method, (data ?? {}) as JsonObject);
          if (req) {
            const c = connection(a, env);
            const token = await clientCredentials({
              baseUrl: c.url,
              clientId: c.clientId,
              clientSecret: c.clientSecret,
            })(false);
            const res = await fetch(new URL(req.path, c.url), {
              method: req.method,
              body: req.body,
              headers: {
                authorization: `Bearer ${token}`,
                ...(req.body ? { "content-type": "application/json" } : {}),
              },
            });
            const text = await res.text();
            let pretty = text;
            try {
              pretty = JSON.stringify(JSON.parse(text), null, 2);
            } catch {
              // not JSON: print as it came
            }
            if (!res.ok) {
              err(`tally: HTTP ${res.status}`);
              err(pretty);
              return 1;
            }
            out(pretty);
            return 0;
          }
        }
        if (output !== "rest" && output !== "json" && output !== "table")
          throw new UsageError("--output is one of rest, json, table");
        const res = await call(client(a, env), api!, method, data);
        out(output === "table" ? table(res).join("\n") : JSON.stringify(res, null, 2));
        return 0;
      }
      case "ingest":
        return await ingest(a, env, out, err);
      case "register":
        await register(a, env, out);
        return 0;
      case "admin":
        await admin(a, env, out);
        return 0;
      default:
        throw new UsageError(`unknown command ${cmd}\n\n${usage}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return 2;
    }
    const ce = ConnectError.from(e);
    err(`tally: ${ce.message}`);
    return 1;
  }
}

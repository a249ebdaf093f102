// The `tally` command line: its help text and the dispatch to one file per command family.
import { readFileSync } from "node:fs";
import { ConnectError } from "@connectrpc/connect";
import { admin, register } from "./admin.js";
import { UsageError, parseArgs } from "./args.js";
import { ingest } from "./ingest.js";
import { login, query } from "./query.js";

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

/** This package's version (package.json sits two levels above both src/cli and dist/cli). */
function sdkVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
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
      case "login":
        return await login(a, env, err);
      case "query":
        return await query(a, env, out, err);
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

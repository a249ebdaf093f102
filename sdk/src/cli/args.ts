import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { TallyClient } from "../client.js";
import { createTallyClient } from "../node.js";
import { readProfiles } from "./profile.js";

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {}

/** Flags that take no value. */
const booleanFlags = new Set(["json", "client-secret-stdin", "help", "version"]);

/** The command line: positional words, and flags (`--k v`, `--k=v`, or `--k` alone). */
export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Splits argv into words and flags; refuses a secret on the command line. */
export function parseArgs(argv: string[]): Args {
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

/** A flag's value, when it was given one. */
export const flag = (a: Args, k: string): string | undefined => {
  const v = a.flags.get(k);
  return typeof v === "string" ? v : undefined;
};

/** Asks on the terminal (hidden for secrets); a usage error when there is no terminal. */
export async function ask(question: string, hidden = false): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`${question.trim()} is required (no terminal to ask on)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const answer = await rl.question(question);
  rl.close();
  if (hidden) process.stderr.write("\n");
  return answer.trim();
}

/** `--client-secret-stdin`: the secret is the first line of standard input (e.g. from a secret store). */
export function secretFromStdin(a: Args): string | undefined {
  if (!a.flags.has("client-secret-stdin")) return undefined;
  const secret = readFileSync(0, "utf8").split("\n")[0]!.trim();
  if (!secret) throw new UsageError("--client-secret-stdin: standard input held no secret");
  return secret;
}

/** The server and credentials: flags, then the environment, then the saved profile. */
export function connection(a: Args, env: NodeJS.ProcessEnv): { url: string; clientId: string; clientSecret: string } {
  const profile = readProfiles(env)[flag(a, "profile") ?? env.TALLY_PROFILE ?? "default"];
  const url = flag(a, "url") ?? env.TALLY_URL ?? profile?.url;
  const clientId = env.TALLY_CLIENT_ID ?? profile?.clientId;
  const clientSecret = secretFromStdin(a) ?? env.TALLY_CLIENT_SECRET ?? profile?.clientSecret;
  if (!url || !clientId || !clientSecret)
    throw new UsageError("no connection: run `tally login`, or set TALLY_URL, TALLY_CLIENT_ID and TALLY_CLIENT_SECRET");
  return { url, clientId, clientSecret };
}

/** A typed client for the connection. */
export function client(a: Args, env: NodeJS.ProcessEnv): TallyClient {
  const c = connection(a, env);
  return createTallyClient({ baseUrl: c.url, clientId: c.clientId, clientSecret: c.clientSecret, httpVersion: "1.1" });
}

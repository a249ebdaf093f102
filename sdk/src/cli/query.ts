import type { DescMethod, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { clientCredentials } from "../auth.js";
import { type Args, UsageError, ask, client, connection, flag, secretFromStdin } from "./args.js";
import { saveProfile } from "./profile.js";
import { restRequest } from "./rest-call.js";
import { call, findMethod, services, table } from "./rpc.js";

type Print = (s: string) => void;

/** `tally login`: checks the credentials against the server, then saves them as a profile. */
export async function login(a: Args, env: NodeJS.ProcessEnv, err: Print): Promise<number> {
  const url = flag(a, "url") ?? env.TALLY_URL ?? (await ask("Tally URL: "));
  const clientId = env.TALLY_CLIENT_ID ?? (await ask("client id: "));
  const clientSecret = secretFromStdin(a) ?? env.TALLY_CLIENT_SECRET ?? (await ask("client secret: ", true));
  await clientCredentials({ baseUrl: url, clientId, clientSecret })(true);
  const path = saveProfile(flag(a, "profile") ?? env.TALLY_PROFILE ?? "default", { url, clientId, clientSecret }, env);
  err(`logged in as ${clientId}; profile saved in ${path}`);
  return 0;
}

/** `tally query <api> <method>`: a read RPC, answered in the API's REST shape, proto JSON or a table. */
export async function query(a: Args, env: NodeJS.ProcessEnv, out: Print, err: Print): Promise<number> {
  const [, api, name] = a.positional;
  const svc = api ? services[api] : undefined;
  if (!svc || !name)
    throw new UsageError(`usage: tally query <api> <method>; api is one of ${Object.keys(services).join(", ")}`);
  const method = findMethod(svc.service, name);
  if (method.idempotency !== 1)
    throw new UsageError(`${method.name} is not a read RPC; use \`tally ingest\` or \`tally admin\``);
  const data = jsonFlag(a, "data");
  const output = flag(a, "output") ?? (a.flags.has("json") ? "json" : "rest");
  if (output === "rest") {
    const answered = await restQuery(a, env, method, data, out, err);
    if (answered !== undefined) return answered;
  }
  if (output !== "rest" && output !== "json" && output !== "table")
    throw new UsageError("--output is one of rest, json, table");
  const res = await call(client(a, env), api!, method, data);
  out(output === "table" ? table(res).join("\n") : JSON.stringify(res, null, 2));
  return 0;
}

function jsonFlag(a: Args, name: string): JsonValue {
  const raw = flag(a, name);
  if (!raw) return {};
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw new UsageError(`--${name} must be JSON`);
  }
}

/**
 * The API's own REST answer, exactly as its documented clients see it; undefined when the method has
 * no REST shape (the caller then answers in proto JSON).
 */
async function restQuery(
  a: Args,
  env: NodeJS.ProcessEnv,
  method: DescMethod,
  data: JsonValue,
  out: Print,
  err: Print,
): Promise<number | undefined> {
  const req = restRequest(method, (data ?? {}) as JsonObject);
  if (!req) return undefined;
  const c = connection(a, env);
  const token = await clientCredentials({ baseUrl: c.url, clientId: c.clientId, clientSecret: c.clientSecret })(false);
  const res = await fetch(new URL(req.path, c.url), {
    method: req.method,
    body: req.body,
    headers: { authorization: `Bearer ${token}`, ...(req.body ? { "content-type": "application/json" } : {}) },
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

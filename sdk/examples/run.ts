// `npm run example -- <name>`: runs one example against a running Tally with the demo credentials.
// TALLY_URL (default http://127.0.0.1:8080), TALLY_CLIENT_ID (default c-demo), TALLY_CLIENT_SECRET.
import { fileURLToPath } from "node:url";
import { clientCredentials } from "@tally/sdk";
import { deliveryStatsExample } from "./delivery-stats.js";
import { grpcJsExample } from "./grpc-js.js";
import { jobsExample } from "./jobs.js";
import { metricsExample } from "./metrics.js";
import { recordsExample } from "./records.js";
import { telemetryExample } from "./telemetry.js";

const examples: Record<string, (url: string, id: string, secret: string) => Promise<string[] | string>> = {
  jobs: jobsExample,
  records: recordsExample,
  metrics: metricsExample,
  "delivery-stats": deliveryStatsExample,
  telemetry: telemetryExample,
  "grpc-js": async (url, id, secret) => grpcJsExample(new URL(url).host, await clientCredentials({ baseUrl: url, clientId: id, clientSecret: secret })(false), fileURLToPath(new URL("../../proto", import.meta.url))),
};

const name = process.argv[2] ?? "";
const example = examples[name];
const secret = process.env.TALLY_CLIENT_SECRET;
if (!example || !secret) {
  process.stderr.write(`usage: TALLY_CLIENT_SECRET=… npm run example -- <${Object.keys(examples).join("|")}>\n`);
  process.exit(2);
}
const out = await example(process.env.TALLY_URL ?? "http://127.0.0.1:8080", process.env.TALLY_CLIENT_ID ?? "c-demo", secret);
process.stdout.write(`${Array.isArray(out) ? out.join("\n") : out}\n`);

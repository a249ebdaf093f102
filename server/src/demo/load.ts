import { createClient, ensureTenant } from "../auth/bootstrap.js";
import type { Logger } from "../platform/logger.js";
import type { RunningTally } from "../server.js";

/**
 * Demo data for the zero-setup server: a small tenant tree and a demo client that reads every API's
 * demo data. Idempotent: a restart on the same data directory loads nothing twice and prints no new secret.
 */
export async function loadDemo(tally: RunningTally, logger: Logger, out: (line: string) => void): Promise<void> {
  const { directory } = tally.app;
  if (await directory.clients.findOne({ _id: "c-demo" })) {
    logger.info("demo data already present (credentials were printed on first start)");
    return;
  }
  await ensureTenant(directory, "demo", "Demo", "root");
  await ensureTenant(directory, "demo-eu", "Demo EU", "demo");
  await ensureTenant(directory, "demo-us", "Demo US", "demo");
  const creds = await createClient(directory, "demo", ["reader", "writer"], "c-demo");
  out(`demo credentials (shown once): client_id=${creds.clientId} client_secret=${creds.clientSecret}`);
}

import { createClient, ensureTenant } from "../../server/src/auth/bootstrap.js";
import type { ApiBenchContext } from "./api.js";

export { createClient };

/** A tenant under root with an admin client; returns an access token for it. */
export async function createTenantWithClientInDirectory(ctx: ApiBenchContext, id: string): Promise<string> {
  await ensureTenant(ctx.tally.app.directory, id, id, "root");
  const c = await createClient(ctx.tally.app.directory, id, ["admin"]);
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: c.clientId,
    client_secret: c.clientSecret,
  });
  return (
    (await (await fetch(`${ctx.tally.url}/oauth2/token`, { method: "POST", body: form })).json()) as {
      access_token: string;
    }
  ).access_token;
}

import { randomUUID } from "node:crypto";
import type { Logger } from "../platform/logger.js";
import { hashSecret, newSecret } from "./secrets.js";
import type { TenantDirectory } from "./tenant-directory.js";

/** A client id and its secret, as printed once at creation. */
export interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * First start on an empty database: a root tenant and an admin client whose credentials are printed
 * once, as `client_id=<id> client_secret=<secret>` on one line. Returns undefined when tenants exist.
 */
export async function bootstrapRoot(
  directory: TenantDirectory,
  logger: Logger,
  out: (line: string) => void,
): Promise<Credentials | undefined> {
  if ((await directory.tenants.countDocuments({})) > 0) return undefined;
  await directory.tenants.insertOne({
    _id: "root",
    name: "Root",
    parentId: null,
    path: [],
    active: true,
    createdAt: new Date(),
  });
  const creds = await createClient(directory, "root", ["admin"], "c-admin");
  logger.info({ clientId: creds.clientId }, "created root tenant and admin client (secret printed once on stdout)");
  out(`admin credentials (shown once): client_id=${creds.clientId} client_secret=${creds.clientSecret}`);
  return creds;
}

/** Creates a client with a fresh secret; `id` defaults to a random one. */
export async function createClient(
  directory: TenantDirectory,
  tenantId: string,
  roles: string[],
  id = `c-${randomUUID()}`,
): Promise<Credentials> {
  const secret = newSecret();
  await directory.clients.insertOne({
    _id: id,
    tenantId,
    roles,
    secretHash: await hashSecret(secret),
    active: true,
    createdAt: new Date(),
  });
  return { clientId: id, clientSecret: secret };
}

/** Creates (idempotently) a tenant under a parent. */
export async function ensureTenant(
  directory: TenantDirectory,
  id: string,
  name: string,
  parentId: string,
): Promise<void> {
  if (await directory.tenants.findOne({ _id: id })) return;
  const parent = await directory.tenants.findOne({ _id: parentId });
  if (!parent) throw new Error(`parent tenant ${parentId} missing`);
  await directory.tenants.insertOne({
    _id: id,
    name,
    parentId,
    path: [...parent.path, parentId],
    active: true,
    createdAt: new Date(),
  });
  directory.invalidate();
}

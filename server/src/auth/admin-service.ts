import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type AdminService,
  ClientSchema,
  ClientWithSecretSchema,
  ListClientsResponseSchema,
  ListTenantsResponseSchema,
  RotateSigningKeyResponseSchema,
  TenantSchema,
  type CreateClientRequest,
  type CreateTenantRequest,
  type RotateClientSecretRequest,
  type SetClientActiveRequest,
  type SetTenantActiveRequest,
} from "@tally/sdk/gen/tally/admin/v1/admin_pb.js";
import { z } from "zod";
import { principalOf } from "../platform/handler-context.js";
import { invalidArgument } from "../platform/errors.js";
import type { Authenticator } from "./authenticator.js";
import { isRoleName, permissionsOfRoles } from "./permissions.js";
import type { Principal } from "../platform/principal.js";
import { hashSecret, newSecret } from "./secrets.js";
import type { SigningKeys } from "./signing-keys.js";
import type { ClientDoc, TenantDirectory, TenantDoc } from "./tenant-directory.js";

const tenantIdZod = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1-63 lower-case letters, digits or dashes");

/** Tenants, clients and keys; every call acts within the caller's subtree ("not yours" is NotFound). */
export class AdminServiceImpl implements ServiceImpl<typeof AdminService> {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly keys: SigningKeys,
    private readonly authenticator: Authenticator,
  ) {}

  async createTenant(req: CreateTenantRequest, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const id = req.id || `t-${randomUUID().slice(0, 8)}`;
    const parsed = tenantIdZod.safeParse(id);
    if (!parsed.success) throw invalidArgument(`id: ${parsed.error.issues[0]!.message}`, "id");
    if (!req.name || req.name.length > 200) throw invalidArgument("name: required, at most 200 characters", "name");
    const parentId = req.parentId || p.tenantId;
    const parent = await this.subtreeTenant(p, parentId);
    const doc: TenantDoc = {
      _id: id,
      name: req.name,
      parentId,
      path: [...parent.path, parent._id],
      active: true,
      createdAt: new Date(),
    };
    try {
      await this.directory.tenants.insertOne(doc);
    } catch (e) {
      if ((e as { code?: number }).code === 11000)
        throw new ConnectError(`tenant ${id} already exists`, Code.AlreadyExists);
      throw e;
    }
    this.directory.invalidate();
    return tenantMessage(doc);
  }

  async listTenants(_req: unknown, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const docs = await this.directory.tenants
      .find({ $or: [{ _id: p.tenantId }, { path: p.tenantId }] })
      .sort({ _id: 1 })
      .toArray();
    return create(ListTenantsResponseSchema, { tenants: docs.map(tenantMessage) });
  }

  async setTenantActive(req: SetTenantActiveRequest, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const t = await this.subtreeTenant(p, req.id);
    if (t._id === p.tenantId) throw new ConnectError("a tenant cannot change its own state", Code.FailedPrecondition);
    await this.directory.tenants.updateOne({ _id: t._id }, { $set: { active: req.active } });
    this.directory.invalidate();
    this.authenticator.invalidate();
    return tenantMessage({ ...t, active: req.active });
  }

  async createClient(req: CreateClientRequest, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const tenant = await this.subtreeTenant(p, req.tenantId || p.tenantId);
    const roles = req.roles.length ? req.roles : ["reader"];
    const bad = roles.filter((r) => !isRoleName(r));
    if (bad.length) throw invalidArgument(`roles: unknown role ${bad.join(", ")}`, "roles");
    // A caller grants only what it holds itself.
    const beyond = [...permissionsOfRoles(roles)].filter((perm) => !p.permissions.has(perm));
    if (beyond.length)
      throw new ConnectError(
        `cannot grant permissions the caller does not hold: ${beyond.join(", ")}`,
        Code.PermissionDenied,
      );
    const secret = newSecret();
    const doc: ClientDoc = {
      _id: `c-${randomUUID()}`,
      tenantId: tenant._id,
      roles,
      secretHash: await hashSecret(secret),
      active: true,
      createdAt: new Date(),
    };
    await this.directory.clients.insertOne(doc);
    return create(ClientWithSecretSchema, { client: clientMessage(doc), clientSecret: secret });
  }

  async listClients(_req: unknown, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const docs = await this.directory.clients
      .find({ tenantId: { $in: await this.subtreeIds(p) } })
      .sort({ createdAt: 1 })
      .toArray();
    return create(ListClientsResponseSchema, { clients: docs.map(clientMessage) });
  }

  async setClientActive(req: SetClientActiveRequest, ctx: HandlerContext) {
    const c = await this.subtreeClient(principalOf(ctx), req.id);
    await this.directory.clients.updateOne({ _id: c._id }, { $set: { active: req.active } });
    this.authenticator.invalidate();
    return clientMessage({ ...c, active: req.active });
  }

  async rotateClientSecret(req: RotateClientSecretRequest, ctx: HandlerContext) {
    const c = await this.subtreeClient(principalOf(ctx), req.id);
    const secret = newSecret();
    await this.directory.clients.updateOne({ _id: c._id }, { $set: { secretHash: await hashSecret(secret) } });
    return create(ClientWithSecretSchema, { client: clientMessage(c), clientSecret: secret });
  }

  async rotateSigningKey(_req: unknown, ctx: HandlerContext) {
    const p = principalOf(ctx);
    const root = await this.directory.tenants.findOne({ _id: p.tenantId });
    if (!root || root.parentId !== null)
      throw new ConnectError("only the root tenant's admins rotate signing keys", Code.PermissionDenied);
    return create(RotateSigningKeyResponseSchema, { kid: await this.keys.rotate() });
  }

  private async subtreeIds(p: Principal): Promise<string[]> {
    const docs = await this.directory.tenants
      .find({ $or: [{ _id: p.tenantId }, { path: p.tenantId }] }, { projection: { _id: 1 } })
      .toArray();
    return docs.map((d) => d._id);
  }

  private async subtreeTenant(p: Principal, id: string): Promise<TenantDoc> {
    const t = await this.directory.tenants.findOne({ _id: id });
    if (!t || (t._id !== p.tenantId && !t.path.includes(p.tenantId)))
      throw new ConnectError(`tenant ${id} not found`, Code.NotFound);
    return t;
  }

  private async subtreeClient(p: Principal, id: string): Promise<ClientDoc> {
    const c = await this.directory.clients.findOne({ _id: id });
    if (!c || !(await this.subtreeIds(p)).includes(c.tenantId))
      throw new ConnectError(`client ${id} not found`, Code.NotFound);
    return c;
  }
}

function tenantMessage(t: TenantDoc) {
  return create(TenantSchema, {
    id: t._id,
    name: t.name,
    parentId: t.parentId ?? "",
    active: t.active,
    path: t.path,
    createTime: timestampFromDate(t.createdAt),
  });
}

function clientMessage(c: ClientDoc) {
  return create(ClientSchema, {
    id: c._id,
    tenantId: c.tenantId,
    roles: c.roles,
    active: c.active,
    createTime: timestampFromDate(c.createdAt),
  });
}

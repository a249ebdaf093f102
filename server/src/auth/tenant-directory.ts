import type { Db } from "mongodb";

/** A tenant as stored: its parent, ancestor path and status. */
export interface TenantDoc {
  _id: string;
  name: string;
  parentId: string | null;
  /** Ancestor ids, root first (not including itself). */
  path: string[];
  active: boolean;
  createdAt: Date;
}

/** An API client as stored: its tenant, roles and hashed secret. */
export interface ClientDoc {
  _id: string;
  tenantId: string;
  roles: string[];
  secretHash: string;
  active: boolean;
  createdAt: Date;
}

const CACHE_MS = 2_000;

/**
 * The tenant tree. "Me and my descendants" is one indexed query on `path`; a tenant reads nothing
 * unless it and every ancestor are active, and inactive descendants (with their subtrees) drop out.
 * Answers are cached for two seconds so a hot read path does not query tenants on every call.
 */
export class TenantDirectory {
  private readonly cache = new Map<string, { at: number; ids: string[] }>();

  constructor(private readonly db: Db) {}

  get tenants() {
    return this.db.collection<TenantDoc>("tenants");
  }

  get clients() {
    return this.db.collection<ClientDoc>("clients");
  }

  /** Readable tenant ids for a caller of `tenantId` (empty when it or an ancestor is inactive). */
  async readableTenants(tenantId: string): Promise<string[]> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.ids;
    const ids = await this.compute(tenantId);
    this.cache.set(tenantId, { at: Date.now(), ids });
    return ids;
  }

  invalidate(): void {
    this.cache.clear();
  }

  private async compute(tenantId: string): Promise<string[]> {
    const self = await this.tenants.findOne({ _id: tenantId });
    if (!self?.active) return [];
    if (self.path.length) {
      const inactiveAncestors = await this.tenants.countDocuments({ _id: { $in: self.path }, active: false });
      if (inactiveAncestors > 0) return [];
    }
    const subtree = await this.tenants
      .find({ path: tenantId }, { projection: { _id: 1, path: 1, active: 1 } })
      .toArray();
    const inactive = new Set(subtree.filter((t) => !t.active).map((t) => t._id));
    const out = [tenantId];
    for (const t of subtree) {
      if (inactive.has(t._id) || t.path.some((a) => inactive.has(a))) continue;
      out.push(t._id);
    }
    return out;
  }
}

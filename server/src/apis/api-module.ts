import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Config } from "../platform/config.js";
import type { DatabaseTraits } from "../db/connect.js";
import type { TenantScopeFactory } from "../db/tenant-scope.js";
import type { Logger } from "../platform/logger.js";
import type { RestShape } from "../transcoding/rest-shape.js";

/** What an API module gets from the composition root: data only through `scopes`, never a collection. */
export interface ApiDeps {
  readonly config: Config;
  /** What the database reports of itself; services never ask which database it is. */
  readonly traits: DatabaseTraits;
  readonly scopes: TenantScopeFactory;
  readonly logger: Logger;
}

/** One API: its service descriptor, how it registers on a router, and its REST rules. */
export interface ApiInstance {
  readonly service: DescService;
  register(router: ConnectRouter): void;
  readonly rest?: RestShape;
}

/** How an API plugs into the composition root (app.ts): one per folder under apis/. */
export interface ApiModule {
  create(deps: ApiDeps): ApiInstance;
}

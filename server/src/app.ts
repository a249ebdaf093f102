import { setMaxListeners } from "node:events";
import type { DatabaseTraits } from "./db/connect.js";
import { allPermissions } from "./auth/permissions.js";
import { create, createFileRegistry, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  createConnectRouter,
  createContextValues,
  type ConnectRouter,
  type ConnectRouterOptions,
  type Interceptor,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import * as reflectionV1 from "@tally/sdk/gen/grpc/reflection/v1/reflection_pb.js";
import * as reflectionV1alpha from "@tally/sdk/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AdminService } from "@tally/sdk/gen/tally/admin/v1/admin_pb.js";
import type { Db } from "mongodb";
import { AdminServiceImpl } from "./auth/admin-service.js";
import { Authenticator } from "./auth/authenticator.js";
import { createAuthInterceptor } from "./auth/interceptor.js";
import { keyEncryptionKey } from "./auth/kek-config.js";
import { SigningKeys } from "./auth/signing-keys.js";
import { TenantDirectory } from "./auth/tenant-directory.js";
import { TokenEndpoint } from "./auth/token-endpoint.js";
import { Tokens } from "./auth/tokens.js";
import type { Config } from "./platform/config.js";
import { createTenantScopeFactory } from "./db/tenant-scope.js";
import { apiModules } from "./apis/registry.js";
import { kProtocol } from "./platform/context.js";
import { createAdmissionInterceptor } from "./platform/admission.js";
import { applyCors } from "./platform/cors.js";
import { createDeadlineInterceptor } from "./platform/deadline.js";
import { TallyMetrics } from "./platform/metrics.js";
import { createOpsHandler } from "./platform/ops.js";
import { normalizeGrpcMessageTrailer } from "./platform/grpc-message.js";
import { HealthServiceImpl, HealthState } from "./platform/health.js";
import { createRequestLogInterceptor } from "./platform/interceptors.js";
import type { Logger } from "./platform/logger.js";
import { ReflectionResolver, ReflectionV1alphaImpl, ReflectionV1Impl } from "./platform/reflection.js";
import { InProcessDispatcher } from "./transcoding/dispatch.js";
import type { NodeRequest, NodeResponse } from "./platform/http.js";
import { createRestHandler } from "./transcoding/rest-handler.js";
import type { RestShape } from "./transcoding/rest-shape.js";
import { buildOpenApi } from "./transcoding/openapi.js";
import { RouteTable, routesFromServices } from "./transcoding/rules.js";

/** The version the OpenAPI document states. */
const TALLY_VERSION = "0.1.0";

/** The composed application: the one request handler, health, and what tests and the server need. */
export interface App {
  /** The Node request handler for every protocol on the one port. */
  readonly handler: (req: NodeRequest, res: NodeResponse) => void;
  readonly health: HealthState;
  readonly metrics: TallyMetrics;
  readonly directory: TenantDirectory;
  readonly keys: SigningKeys;
  /** Aborts streaming calls on shutdown. */
  readonly shutdown: AbortController;
}

/** What the composition root is given besides configuration and the database. */
export interface AppOptions {
  /** What the database reports of itself (some strategies differ; see JOBS_AGG_STRATEGY). */
  readonly traits?: DatabaseTraits;
  readonly metrics?: TallyMetrics;
  /** false: NOT_SERVING (and `/readyz` 503) until `health.setStarted()`, e.g. after the demo load. */
  readonly started?: boolean;
}

/** Builds every service with its dependencies and returns the one handler that serves them. */
export async function createApp(config: Config, logger: Logger, db: Db, opts: AppOptions = {}): Promise<App> {
  const traits = opts.traits ?? { parallelAggregates: true };
  const metrics = opts.metrics ?? new TallyMetrics();
  const auth = await createAuth(config, db, logger);
  const scopes = createTenantScopeFactory(db);
  const apis = apiModules.map((m) => m.create({ config, traits, scopes, logger }));
  const servedServices: DescService[] = [...apis.map((a) => a.service), AdminService];
  const health = new HealthState(
    servedServices.map((s) => s.typeName),
    opts.started ?? true,
  );
  const reflection = reflectionOf(servedServices);
  const admin = new AdminServiceImpl(auth.directory, auth.keys, auth.authenticator);
  const routes = (router: ConnectRouter): void => {
    router.service(Health, new HealthServiceImpl(health));
    router.service(reflectionV1.ServerReflection, new ReflectionV1Impl(reflection));
    router.service(reflectionV1alpha.ServerReflection, new ReflectionV1alphaImpl(reflection));
    router.service(AdminService, admin);
    for (const a of apis) a.register(router);
  };
  const shutdown = new AbortController();
  // connect-node links every in-flight call to this signal: one listener per call, so no fixed limit.
  setMaxListeners(0, shutdown.signal);
  const routerOptions: ConnectRouterOptions = {
    interceptors: interceptorsOf(config, logger, metrics, auth.authenticator),
    readMaxBytes: config.MAX_MESSAGE_BYTES,
    writeMaxBytes: config.MAX_MESSAGE_BYTES,
    maxTimeoutMs: config.MAX_DEADLINE_MS,
    shutdownSignal: shutdown.signal,
    connect: true,
    grpc: true,
    grpcWeb: true,
  };
  const shapes = new Map<string, RestShape>(apis.filter((a) => a.rest).map((a) => [a.service.typeName, a.rest!]));
  const routeTable = new RouteTable(routesFromServices(servedServices));
  const rest = restHandlerOf(config, routes, routerOptions, routeTable, shapes);
  const rpc = rpcHandlerOf(routes, routerOptions, logger, (req, res, pathname) =>
    auth.tokenEndpoint.handle(req, res, pathname).then((handled) => (handled ? undefined : rest(req, res))),
  );
  const ops = createOpsHandler(
    health,
    metrics,
    config.METRICS_ACCESS,
    buildOpenApi(routeTable.routes, shapes, TALLY_VERSION, allPermissions),
  );
  const handler = (req: NodeRequest, res: NodeResponse): void => {
    if (ops(req, res, (req.url ?? "/").split("?")[0]!)) return;
    if (applyCors(config.CORS_ALLOWED_ORIGINS, req, res)) return;
    const ct = req.headers["content-type"];
    if (typeof ct === "string" && ct.startsWith("application/grpc") && !ct.startsWith("application/grpc-web"))
      normalizeGrpcMessageTrailer(res);
    rpc(req, res);
  };
  return { handler, health, metrics, directory: auth.directory, keys: auth.keys, shutdown };
}

/** Tenants, signing keys, tokens, the authenticator and the OAuth2 token endpoint. */
async function createAuth(config: Config, db: Db, logger: Logger) {
  const directory = new TenantDirectory(db);
  const keys = new SigningKeys(db, config.TOKEN_TTL_SECONDS, keyEncryptionKey(config));
  await keys.init();
  const tokens = new Tokens(keys, {
    issuer: config.TALLY_ISSUER,
    audience: config.TALLY_AUDIENCE,
    ttlSeconds: config.TOKEN_TTL_SECONDS,
  });
  const authenticator = new Authenticator(tokens, directory);
  const tokenEndpoint = new TokenEndpoint(directory, tokens, keys, logger);
  return { directory, keys, authenticator, tokenEndpoint };
}

/** REST dispatches through a router built from the same routes and options: same handlers, same interceptors. */
function restHandlerOf(
  config: Config,
  routes: (router: ConnectRouter) => void,
  routerOptions: ConnectRouterOptions,
  routeTable: RouteTable,
  shapes: ReadonlyMap<string, RestShape>,
) {
  const restRouter = createConnectRouter(routerOptions);
  routes(restRouter);
  return createRestHandler({
    routes: routeTable,
    dispatcher: new InProcessDispatcher(restRouter.handlers),
    shapes,
    maxBodyBytes: config.MAX_MESSAGE_BYTES,
    deadlineMs: config.MAX_DEADLINE_MS,
  });
}

/**
 * Connect, gRPC and gRPC-Web; whatever is not an RPC path goes to `fallback` (the token endpoint, then
 * REST). A fallback that throws answers 500 in Connect's error shape.
 */
function rpcHandlerOf(
  routes: (router: ConnectRouter) => void,
  routerOptions: ConnectRouterOptions,
  logger: Logger,
  fallback: (req: NodeRequest, res: NodeResponse, pathname: string) => Promise<void>,
): (req: NodeRequest, res: NodeResponse) => void {
  const adapter = connectNodeAdapter({
    ...routerOptions,
    routes,
    contextValues: (req) => createContextValues().set(kProtocol, protocolOf(req.headers["content-type"])),
    fallback: (nreq, nres) => {
      const req = nreq as NodeRequest;
      const res = nres as unknown as NodeResponse;
      const pathname = (req.url ?? "/").split("?")[0]!;
      fallback(req, res, pathname).catch((e: unknown) => {
        logger.error({ err: e }, "unhandled error in HTTP handler");
        if (!res.headersSent)
          (res as import("node:http").ServerResponse).writeHead(500, { "content-type": "application/json" });
        res.end('{"code":13,"message":"internal error","details":[]}');
      });
    },
  });
  return adapter;
}

/** Server reflection over every served service, health and reflection itself included. */
function reflectionOf(servedServices: readonly DescService[]): ReflectionResolver {
  const services = [...servedServices, Health, reflectionV1.ServerReflection, reflectionV1alpha.ServerReflection];
  const registry = createFileRegistry(
    create(FileDescriptorSetSchema, { file: closure(services.map((s) => s.file)).map((f) => f.proto) }),
  );
  return new ReflectionResolver(
    registry,
    services.map((s) => s.typeName),
  );
}

/**
 * The interceptors every protocol runs, outermost first: request log and metrics, deadline, auth,
 * per-tenant admission.
 */
function interceptorsOf(
  config: Config,
  logger: Logger,
  metrics: TallyMetrics,
  authenticator: Authenticator,
): Interceptor[] {
  const admission = createAdmissionInterceptor(
    {
      reads: {
        concurrency: config.TENANT_MAX_CONCURRENT_READS,
        perSecond: config.TENANT_READS_PER_SECOND,
        burst: config.TENANT_READ_BURST,
      },
      ingests: {
        concurrency: config.TENANT_MAX_CONCURRENT_INGESTS,
        perSecond: config.TENANT_INGESTS_PER_SECOND,
        burst: config.TENANT_INGEST_BURST,
      },
      queueMs: config.ADMISSION_QUEUE_MS,
    },
    (tenant, reason) => metrics.refusals.inc({ tenant, reason }),
  );
  return [
    createRequestLogInterceptor(logger, metrics),
    createDeadlineInterceptor(config.MAX_DEADLINE_MS),
    createAuthInterceptor(authenticator),
    admission,
  ];
}

function protocolOf(contentType: string | undefined): string {
  const ct = contentType ?? "";
  if (ct.startsWith("application/grpc-web")) return "grpc-web";
  if (ct.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** Files and their transitive imports, dependencies first (what a file registry needs). */
function closure(files: readonly DescFile[]): DescFile[] {
  const out: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const d of f.dependencies) visit(d);
    out.push(f);
  };
  for (const f of files) visit(f);
  return out;
}

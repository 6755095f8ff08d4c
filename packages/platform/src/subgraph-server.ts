/**
 * Bootstrap shared by the four subgraphs: a Federation 2 schema, Apollo Server with the platform's
 * error formatting, identity from the gateway's signed header, primary/replica routing with
 * read-your-writes, health and metrics routes.
 */
import type { IncomingMessage } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph";
import type { DocumentNode } from "graphql";
import { describeDependencyFailure } from "./dependency-failure.js";
import { sendErrorResponse } from "./error-response.js";
import { createFormatError, ErrorCode } from "./errors.js";
import { createHttpHandler, sendJson, serveHandler, type RouteHandler, type RunningServer } from "./http-server.js";
import { identityHeader, verifyIdentityHeader, type Identity } from "./identity.js";
import { originOfRequest } from "./request-origin.js";
import { auditTrail, noAuditRecorder, type AuditRecorder, type AuditTrail } from "./audit-events.js";
import type { Database, PrismaClient } from "./database.js";
import type { DrainOptions } from "./graceful-shutdown.js";
import type { Logger } from "./logger.js";
import { Counter } from "prom-client";
import { createMetrics, metricsPlugin, type Metrics } from "./metrics.js";
import { registerDatabaseMetrics } from "./metrics/database-metrics.js";
import { registerDependencyProbe } from "./metrics/dependency-up.js";
import type { Redis } from "./redis.js";
import { noCacheInvalidation, type CacheInvalidator } from "./cache-invalidation.js";

export interface SubgraphBaseContext {
  identity: Identity | null;
  /** `write` is the primary; `read` is the replica unless this caller wrote recently. */
  db: { write: PrismaClient; read: PrismaClient };
  log: Logger;
  /** The client's address as the gateway trusts it (signed `x-agora-origin`), else the socket's peer. */
  clientIp: string | null;
  /** The gateway's request id (signed with the origin), else the caller's `x-request-id`, else a new one. */
  requestId: string;
  /** The security audit log, with this caller's identity, address and request id filled in. */
  audit: AuditTrail;
  /** Tells the gateways' response caches what a write changed; call after the commit, before answering. */
  cache: CacheInvalidator;
}

export interface SubgraphDefinition<TContext extends SubgraphBaseContext> {
  name: string;
  typeDefs: DocumentNode;
  /** Resolvers typed by the subgraph's generated `Resolvers` type. */
  resolvers: object;
  /** Adds per-request state (DataLoaders) to the base context. */
  createContext: (base: SubgraphBaseContext, req: IncomingMessage) => TContext;
  routes?: Record<string, RouteHandler>;
  prefixRoutes?: Record<string, RouteHandler>;
}

export interface SubgraphRuntime {
  db: Database;
  log: Logger;
  internalSecret: string;
  bodyLimitBytes: number;
  exposeErrorDetails: boolean;
  /** Needed only with a replica: remembers who wrote recently. */
  redis?: Redis | undefined;
  redisKeyPrefix?: string;
  readYourWritesWindowMs?: number;
  /** How `stop()` drains (SHUTDOWN_DELAY_MS, SHUTDOWN_GRACE_MS). */
  shutdown?: DrainOptions;
  /** Security audit events (runtimeFromConfig makes one); without it nothing is audited. */
  audit?: AuditRecorder;
  /** Response-cache invalidation (cache-invalidation.ts); none: writes tell no gateway. */
  cacheInvalidation?: CacheInvalidator;
}

export interface SubgraphServer {
  apollo: ApolloServer<SubgraphBaseContext>;
  metrics: Metrics;
  listen(port: number, host?: string): Promise<RunningServer>;
  stop(): Promise<void>;
}

function readYourWritesPlugin(runtime: SubgraphRuntime): ApolloServerPlugin<SubgraphBaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation !== "mutation") return;
          contextValue.db.read = contextValue.db.write;
          const userId = contextValue.identity?.userId;
          if (userId && runtime.redis && runtime.db.hasReplica && runtime.readYourWritesWindowMs) {
            // Without the mark this caller may briefly read stale data from the replica; never fail the write for it.
            await runtime.redis
              .set(`${runtime.redisKeyPrefix ?? ""}ryw:${userId}`, "1", "PX", runtime.readYourWritesWindowMs)
              .catch((error: unknown) => runtime.log.warn({ err: error }, "read-your-writes mark not stored (Redis)"));
          }
        },
      };
    },
  };
}

export async function createSubgraphServer<TContext extends SubgraphBaseContext>(
  definition: SubgraphDefinition<TContext>,
  runtime: SubgraphRuntime,
): Promise<SubgraphServer> {
  const metrics = createMetrics(definition.name);
  let statementsCounted = 0;
  new Counter({
    name: "agora_db_statements_total",
    help: "SQL statements issued by this process",
    registers: [metrics.registry],
    // A counter fed from the database's own tally at scrape time, so nothing runs per statement.
    collect() {
      const now = runtime.db.statementCount();
      this.inc(now - statementsCounted);
      statementsCounted = now;
    },
  });
  registerDatabaseMetrics(metrics.registry, runtime.db);
  registerDependencyProbe(metrics.registry, "postgresql", () => runtime.db.primary.$queryRawUnsafe("SELECT 1"));
  const { redis } = runtime;
  if (redis) registerDependencyProbe(metrics.registry, "redis", () => redis.ping());
  const apollo = new ApolloServer<SubgraphBaseContext>({
    schema: buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> }]),
    formatError: createFormatError({
      exposeDetails: runtime.exposeErrorDetails,
      onInternalError: (error) => runtime.log.error({ err: error }, "internal error"),
    }),
    includeStacktraceInErrorResponses: runtime.exposeErrorDetails,
    csrfPrevention: true,
    // onTerminationSignal (service-main.ts) owns SIGTERM/SIGINT; Apollo's own would race the drain.
    stopOnTerminationSignals: false,
    // Inline (ftv1) traces only serve Apollo Studio usage reporting, which Agora does not use.
    plugins: [readYourWritesPlugin(runtime), metricsPlugin(metrics), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  const readerFor = async (identity: Identity | null): Promise<PrismaClient> => {
    const { db, redis } = runtime;
    if (!db.hasReplica) return db.primary;
    if (!identity || !redis) return db.replica;
    try {
      return (await redis.exists(`${runtime.redisKeyPrefix ?? ""}ryw:${identity.userId}`)) ? db.primary : db.replica;
    } catch {
      return db.primary; // Redis down: cannot tell whether this caller wrote recently, so read where the writes are
    }
  };

  const health: Record<string, RouteHandler> = {
    "GET /health/live": (_req, res) => sendJson(res, 200, { status: "ok", service: definition.name }),
    "GET /health/ready": async (_req, res) => {
      try {
        await runtime.db.primary.$queryRawUnsafe("SELECT 1");
        sendJson(res, 200, { status: "ready", service: definition.name });
      } catch (error) {
        runtime.log.warn({ err: error }, "readiness: PostgreSQL check failed");
        const { state, detail } = describeDependencyFailure(error, runtime.exposeErrorDetails);
        sendErrorResponse(res, ErrorCode.SERVICE_UNAVAILABLE, detail ?? `PostgreSQL is ${state}.`, {
          details: { status: "unavailable", service: definition.name, dependency: "postgresql", state },
        });
      }
    },
    "GET /metrics": (_req, res) => metrics.serve(res),
  };

  const handler = createHttpHandler<SubgraphBaseContext>({
    apollo,
    bodyLimitBytes: runtime.bodyLimitBytes,
    routes: { ...health, ...definition.routes },
    prefixRoutes: definition.prefixRoutes,
    context: async (req) => {
      const header = req.headers[identityHeader] as string | undefined;
      const identity = await verifyIdentityHeader(header, runtime.internalSecret);
      // Only the gateway's signed origin is believed; a direct caller is where its socket comes from.
      const { clientIp, requestId } = originOfRequest(req, runtime.internalSecret);
      const base: SubgraphBaseContext = {
        identity,
        db: { write: runtime.db.primary, read: await readerFor(identity) },
        log: runtime.log,
        clientIp,
        requestId,
        audit: auditTrail(runtime.audit ?? noAuditRecorder, {
          actorId: identity?.userId ?? null,
          actorRole: identity?.role ?? null,
          clientIp,
          requestId,
        }),
        cache: runtime.cacheInvalidation ?? noCacheInvalidation,
      };
      return definition.createContext(base, req);
    },
  });

  return { apollo, metrics, ...serveHandler(handler, runtime.log, () => apollo.stop(), runtime.shutdown) };
}

/**
 * The Agora gateway: @apollo/gateway on @apollo/server with the committed static supergraph.
 * It verifies access tokens and forwards identity; it holds no business logic.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import type { GraphQLSchema } from "graphql";
import {
  accessTokenSettings,
  createFormatError,
  createHttpHandler,
  createMetrics,
  createRedis,
  createSubgraphFetchMetrics,
  instrumentSubgraphFetch,
  metricsPlugin,
  registerDependencyProbe,
  serveHandler,
  type Logger,
  type RunningServer,
} from "@agora/platform";
import { Counter } from "prom-client";
import { createAuditRecorder } from "@agora/platform/audit-events";
import { corsOptions, subgraphTimeoutMs, subgraphUrls, type GatewayConfig } from "./config.js";
import { clientIpResolver, createGatewayContext, type GatewayContext } from "./context.js";
import { AuthenticatedDataSource } from "./datasource/authenticated-data-source.js";
import { createSubgraphBreakers } from "./datasource/subgraph-breaker.js";
import { createSubgraphFetch } from "./datasource/subgraph-fetch.js";
import { deduplicateQueries } from "./datasource/deduplicate-queries.js";
import { createReadiness } from "./http/readiness.js";
import { requestSignal, withRequestSignal } from "./http/request-signal.js";
import { createGatewayRoutes } from "./http/routes.js";
import { answerFromCache } from "./http/cached-responses.js";
import { gatewayPlugins } from "./plugins/index.js";
import { operationResolutionPlugin } from "./plugins/operation-resolution.js";
import { createGatewayCaches } from "./caching/index.js";
import { createSubscriptionServer, type SubscriptionServer } from "./subscriptions/subscription-server.js";

export const defaultSupergraphPath = join(dirname(fileURLToPath(import.meta.url)), "..", "supergraph.graphql");

export interface Gateway {
  apollo: ApolloServer<GatewayContext>;
  /** graphql-ws on every listener's /graphql. */
  subscriptions: SubscriptionServer;
  listen(port: number, host?: string): Promise<RunningServer>;
  stop(): Promise<void>;
}

export async function createGateway(
  config: GatewayConfig,
  log: Logger,
  supergraphSdl = readFileSync(defaultSupergraphPath, "utf8"),
): Promise<Gateway> {
  const urls: Record<string, string> = subgraphUrls(config);
  const development = config.NODE_ENV === "development";
  const metrics = createMetrics("gateway");
  const caches = createGatewayCaches(config, supergraphSdl, metrics.registry, log);
  const fetchMetrics = createSubgraphFetchMetrics(metrics.registry);
  const breakers = createSubgraphBreakers(
    Object.keys(urls),
    { failureThreshold: config.BREAKER_FAILURE_THRESHOLD, halfOpenAfterMs: config.BREAKER_HALF_OPEN_AFTER_MS },
    metrics.registry,
    log,
  );
  const retries = new Counter({
    name: "agora_gateway_subgraph_retries_total",
    help: "Subgraph queries sent again because their connection failed before anything was sent",
    labelNames: ["subgraph"],
    registers: [metrics.registry],
  });
  const merged = new Counter({
    name: "agora_gateway_subgraph_fetches_deduplicated_total",
    help: "Subgraph queries answered by an identical one already in flight (not sent again)",
    labelNames: ["subgraph"],
    registers: [metrics.registry],
  });
  const gateway = new ApolloGateway({
    supergraphSdl,
    queryPlannerConfig: caches.queryPlannerConfig,
    buildService: ({ name, url }) => {
      const breaker = breakers.get(name);
      if (!breaker) throw new Error(`The supergraph names a subgraph "${name}" the gateway has no URL for.`);
      const timeoutMs = subgraphTimeoutMs(config, name);
      const subgraphFetch = createSubgraphFetch({
        service: name,
        timeoutMs,
        connectRetries: config.SUBGRAPH_CONNECT_RETRIES,
        breaker,
        onRetry: () => retries.inc({ subgraph: name }),
      });
      const source = instrumentSubgraphFetch(
        name,
        new AuthenticatedDataSource(name, urls[name] ?? url ?? "", config.INTERNAL_SECRET, timeoutMs, subgraphFetch),
        fetchMetrics,
      );
      return config.SUBGRAPH_DEDUPLICATION ? deduplicateQueries(name, source, { merged: (subgraph) => merged.inc({ subgraph }) }) : source;
    },
  });
  let apiSchema: GraphQLSchema | null = null;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = schema;
    caches.planCache?.useSupergraph(coreSupergraphSdl);
    caches.responseCache?.useSupergraph(coreSupergraphSdl);
  });
  // Lazy and quiet: the gateway serves without Redis; readiness only reports it.
  const redis = createRedis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  // Refusals into the audit stream the workers drain; without Redis the event is logged (no database here).
  const audit = createAuditRecorder({ redis, keyPrefix: config.REDIS_KEY_PREFIX, service: "gateway", log });
  // Landing page, operation limits, rate limiting, the response cache and the production settings that go with them.
  const limits = gatewayPlugins(config, {
    registry: metrics.registry,
    log,
    audit,
    responseCache: caches.responseCache && { cache: caches.responseCache, metrics: caches.responseMetrics },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    csrfPrevention: true,
    persistedQueries: caches.persistedQueries,
    // index.ts owns SIGTERM/SIGINT (onTerminationSignal); Apollo's own would race the drain.
    stopOnTerminationSignals: false,
    formatError: createFormatError({ exposeDetails: development, onInternalError: (error) => log.error({ err: error }, "internal error") }),
    ...limits,
    plugins: [metricsPlugin<GatewayContext>(metrics), operationResolutionPlugin<GatewayContext>(), ...limits.plugins],
  });
  await apollo.start();
  await caches.warmUp();

  const accessTokens = accessTokenSettings(config);
  const clientIp = clientIpResolver(config.TRUSTED_PROXIES, config.TRUSTED_PROXY_HEADER);
  // Rate limits, caches and live events all need Redis: the RedisUnreachable alert reads this too.
  registerDependencyProbe(metrics.registry, "redis", () => redis.ping());
  const readiness = createReadiness({
    subgraphs: urls,
    breakers,
    critical: config.CRITICAL_SUBGRAPHS,
    probeTimeoutMs: config.READINESS_PROBE_TIMEOUT_MS,
    redis,
    exposeDetails: development,
    log,
  });
  const { routes, prefixRoutes } = createGatewayRoutes({
    readiness,
    metrics,
    jobsBaseUrl: config.JOBS_URL.replace(/\/graphql$/, ""),
    accessTokens,
    internalSecret: config.INTERNAL_SECRET,
    uploadLimitBytes: config.UPLOAD_PROXY_LIMIT_BYTES,
    timeoutMs: subgraphTimeoutMs(config, "jobs"),
    clientIp,
  });
  const handler = createHttpHandler<GatewayContext>({
    apollo,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    cors: corsOptions(config),
    routes,
    prefixRoutes,
    context: async (req) => Object.assign(await createGatewayContext(req, accessTokens, clientIp), { signal: requestSignal(req) }),
    // Memory hits answered before Apollo; not while rate limiting is on (a hit is charged, by its cost).
    answerBeforeApollo:
      caches.responseCache && !config.RATE_LIMIT_ENABLED
        ? answerFromCache({
            cache: caches.responseCache,
            accessTokens,
            metrics,
            hit: (tier) => caches.responseMetrics.request("hit", tier),
          })
        : undefined,
  });
  const subscriptions = createSubscriptionServer({
    apollo,
    schema: () => apiSchema,
    accessTokens,
    redisUrl: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    maxSocketsPerUser: config.SUBSCRIPTIONS_MAX_SOCKETS_PER_USER,
    maxSocketsPerIp: config.SUBSCRIPTIONS_MAX_SOCKETS_PER_IP,
    maxSubscriptionsPerSocket: config.SUBSCRIPTIONS_MAX_PER_SOCKET,
    maxMessageBytes: config.SUBSCRIPTIONS_MAX_MESSAGE_BYTES,
    keepAliveMs: config.SUBSCRIPTIONS_KEEPALIVE_MS,
    maxBufferedBytes: config.SUBSCRIPTIONS_MAX_BUFFERED_BYTES,
    maxQueuedEvents: config.SUBSCRIPTIONS_MAX_QUEUED_EVENTS,
    redisTimeoutMs: config.SUBSCRIPTIONS_REDIS_TIMEOUT_MS,
    clientIp,
    maxConcurrentExecutions: config.SUBSCRIPTIONS_MAX_CONCURRENT_EXECUTIONS,
    log,
    exposeErrorDetails: development,
  });
  const drain = { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS };
  const served = serveHandler(
    withRequestSignal(handler),
    log,
    async () => {
      await apollo.stop();
      await caches.close();
      redis.disconnect();
    },
    drain,
  );
  return {
    apollo,
    subscriptions,
    async listen(port, host) {
      const running = await served.listen(port, host);
      subscriptions.attach(running.server);
      return running;
    },
    // Sockets first, with 1001 "going away", so clients reconnect to another gateway while this one drains HTTP.
    async stop() {
      // Not ready first (HAProxy stops sending), then the sockets, then the HTTP drain.
      served.lifecycle.draining = true;
      await subscriptions.close();
      await served.stop();
    },
  };
}

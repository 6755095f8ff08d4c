/**
 * The Agora gateway: @apollo/gateway on @apollo/server with the committed static supergraph.
 * It verifies access tokens and forwards identity; it holds no business logic.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import {
  accessTokenSettings,
  createFormatError,
  createHttpHandler,
  createMetrics,
  describeDependencyFailure,
  createSubgraphFetchMetrics,
  instrumentSubgraphFetch,
  metricsPlugin,
  ErrorCode,
  sendErrorResponse,
  sendJson,
  serveHandler,
  type Logger,
  type RouteHandler,
  type RunningServer,
} from "@agora/platform";
import { AuthenticatedDataSource } from "./authenticated-data-source.js";
import { corsOptions, subgraphUrls, type GatewayConfig } from "./config.js";
import { clientIpResolver, createGatewayContext, type GatewayContext } from "./context.js";
import { gatewayPlugins } from "./plugins/index.js";
import { operationResolutionPlugin } from "./plugins/operation-resolution.js";
import { createRestProxy } from "./rest-proxy.js";
import { createGatewayCaches } from "./caching/index.js";

export const defaultSupergraphPath = join(dirname(fileURLToPath(import.meta.url)), "..", "supergraph.graphql");

export interface Gateway {
  apollo: ApolloServer<GatewayContext>;
  listen(port: number, host?: string): Promise<RunningServer>;
  stop(): Promise<void>;
}

/** Outside development the report names subgraphs and states only; URLs and error text go to the log. */
async function checkReady(urls: Record<string, string>, timeoutMs: number, exposeDetails: boolean, log: Logger) {
  const results = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      const healthUrl = url.replace(/\/graphql$/, "") + "/health/ready";
      const where = exposeDetails ? { url: healthUrl } : {};
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
        return { name, ...where, ready: response.ok, status: response.status };
      } catch (error) {
        log.warn({ err: error, subgraph: name, url: healthUrl }, "subgraph readiness check failed");
        const { state, detail } = describeDependencyFailure(error, exposeDetails);
        return { name, ...where, ready: false, state, ...(detail === undefined ? {} : { error: detail }) };
      }
    }),
  );
  return { ready: results.every((r) => r.ready), subgraphs: results };
}

export async function createGateway(
  config: GatewayConfig,
  log: Logger,
  supergraphSdl = readFileSync(defaultSupergraphPath, "utf8"),
): Promise<Gateway> {
  const urls = subgraphUrls(config);
  const development = config.NODE_ENV === "development";
  const metrics = createMetrics("gateway");
  const caches = createGatewayCaches(config, supergraphSdl, metrics.registry, log);
  const fetchMetrics = createSubgraphFetchMetrics(metrics.registry);
  const gateway = new ApolloGateway({
    supergraphSdl,
    queryPlannerConfig: caches.queryPlannerConfig,
    buildService: ({ name, url }) =>
      instrumentSubgraphFetch(
        name,
        new AuthenticatedDataSource(name, urls[name] ?? url ?? "", config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS),
        fetchMetrics,
      ),
  });
  // Landing page, operation limits, rate limiting and the production settings that go with them.
  const limits = gatewayPlugins(config, { registry: metrics.registry, log });
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
  const jobsBase = config.JOBS_URL.replace(/\/graphql$/, "");
  const jobsProxy = createRestProxy({
    targetBaseUrl: jobsBase,
    serviceName: "jobs",
    accessTokens,
    internalSecret: config.INTERNAL_SECRET,
    bodyLimitBytes: config.UPLOAD_PROXY_LIMIT_BYTES,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  const routes: Record<string, RouteHandler> = {
    "GET /health/live": (_req, res) => sendJson(res, 200, { status: "ok", service: "gateway" }),
    "GET /health/ready": async (_req, res) => {
      const report = await checkReady(urls, 2000, development, log);
      if (report.ready) return sendJson(res, 200, { status: "ready", ...report });
      const down = report.subgraphs.filter((s) => !s.ready).map((s) => s.name);
      sendErrorResponse(res, ErrorCode.SERVICE_UNAVAILABLE, `Not ready: the ${down.join(", ")} subgraph did not answer ready.`, {
        details: { status: "unavailable", ...report },
      });
    },
    "GET /metrics": (_req, res) => metrics.serve(res),
    "POST /upload": jobsProxy,
  };
  const handler = createHttpHandler<GatewayContext>({
    apollo,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    cors: corsOptions(config),
    routes,
    prefixRoutes: {
      "GET /jobs/": jobsProxy,
      "GET /files/": jobsProxy,
      "GET /admin/queues": jobsProxy,
    },
    context: (req) => createGatewayContext(req, accessTokens, clientIp),
  });
  const drain = { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS };
  return {
    apollo,
    ...serveHandler(
      handler,
      log,
      async () => {
        await apollo.stop();
        await caches.close();
      },
      drain,
    ),
  };
}

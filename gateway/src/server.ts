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
  metricsPlugin,
  sendJson,
  serveHandler,
  type Logger,
  type RouteHandler,
  type RunningServer,
} from "@agora/platform";
import { AuthenticatedDataSource } from "./authenticated-data-source.js";
import { subgraphUrls, type GatewayConfig } from "./config.js";
import { clientIpResolver, createGatewayContext, type GatewayContext } from "./context.js";
import { gatewayPlugins } from "./plugins/index.js";
import { createRestProxy } from "./rest-proxy.js";

export const defaultSupergraphPath = join(dirname(fileURLToPath(import.meta.url)), "..", "supergraph.graphql");

export interface Gateway {
  apollo: ApolloServer<GatewayContext>;
  listen(port: number, host?: string): Promise<RunningServer>;
  stop(): Promise<void>;
}

async function checkReady(urls: Record<string, string>, timeoutMs: number) {
  const results = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      const healthUrl = url.replace(/\/graphql$/, "") + "/health/ready";
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
        return { name, url: healthUrl, ready: response.ok, status: response.status };
      } catch (error) {
        return { name, url: healthUrl, ready: false, error: (error as Error).message };
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
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new AuthenticatedDataSource(name, urls[name] ?? url ?? "", config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS),
  });
  const metrics = createMetrics("gateway");
  // Landing page, operation limits, rate limiting and the production settings that go with them.
  const limits = gatewayPlugins(config, { registry: metrics.registry, log });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    csrfPrevention: true,
    // index.ts owns SIGTERM/SIGINT; Apollo's own handlers would race it and keep the process alive.
    stopOnTerminationSignals: false,
    formatError: createFormatError({ exposeDetails: development, onInternalError: (error) => log.error({ err: error }, "internal error") }),
    ...limits,
    plugins: [metricsPlugin<GatewayContext>(metrics), ...limits.plugins],
  });
  await apollo.start();

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
      const report = await checkReady(urls, 2000);
      sendJson(res, report.ready ? 200 : 503, { status: report.ready ? "ready" : "unavailable", ...report });
    },
    "GET /metrics": (_req, res) => metrics.serve(res),
    "POST /upload": jobsProxy,
  };
  const handler = createHttpHandler<GatewayContext>({
    apollo,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    routes,
    prefixRoutes: {
      "GET /jobs/": jobsProxy,
      "GET /files/": jobsProxy,
      "GET /admin/queues": jobsProxy,
    },
    context: (req) => createGatewayContext(req, accessTokens, clientIp),
  });
  return { apollo, ...serveHandler(handler, log, () => apollo.stop()) };
}

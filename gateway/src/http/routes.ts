/**
 * The gateway's HTTP routes besides GraphQL: health (live and ready), Prometheus metrics, and the
 * jobs service's REST routes (uploads, job status, files, queue dashboard) passed through, and the
 * queue dashboard's browser sign-in (admin-session.ts).
 */
import type { IncomingMessage } from "node:http";
import { sendJson, type AccessTokenSettings, type Metrics, type RouteHandler } from "@agora/platform";
import { adminBasePath, createAdminSession } from "./admin-session.js";
import type { Readiness } from "./readiness.js";
import { createRestProxy } from "./rest-proxy.js";

export interface GatewayRoutesOptions {
  readiness: Readiness;
  metrics: Metrics;
  /** Base URL of the jobs service (its GraphQL URL without /graphql). */
  jobsBaseUrl: string;
  accessTokens: AccessTokenSettings;
  internalSecret: string;
  /** Largest upload passed on (UPLOAD_PROXY_LIMIT_BYTES). */
  uploadLimitBytes: number;
  /** Longest silence of the jobs service (the jobs subgraph's timeout). */
  timeoutMs: number;
  /** The client's address as trusted by the gateway, forwarded signed (audit log). */
  clientIp?: (req: IncomingMessage) => string;
}

export function createGatewayRoutes(options: GatewayRoutesOptions): {
  routes: Record<string, RouteHandler>;
  prefixRoutes: Record<string, RouteHandler>;
} {
  const jobsProxy = createRestProxy({
    targetBaseUrl: options.jobsBaseUrl,
    serviceName: "jobs",
    accessTokens: options.accessTokens,
    internalSecret: options.internalSecret,
    bodyLimitBytes: options.uploadLimitBytes,
    timeoutMs: options.timeoutMs,
    ...(options.clientIp ? { clientIp: options.clientIp } : {}),
  });
  const adminSession = createAdminSession({ accessTokens: options.accessTokens });
  return {
    routes: {
      ...adminSession.routes,
      "GET /health/live": (_req, res) => sendJson(res, 200, { status: "ok", service: "gateway" }),
      "GET /health/ready": (_req, res) => options.readiness.serve(res),
      "GET /metrics": (_req, res) => options.metrics.serve(res),
      "POST /upload": jobsProxy,
    },
    prefixRoutes: {
      "GET /jobs/": jobsProxy,
      "GET /files/": jobsProxy,
      [`GET ${adminBasePath}`]: adminSession.withCookie(jobsProxy),
    },
  };
}

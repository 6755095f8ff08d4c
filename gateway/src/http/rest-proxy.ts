/**
 * The REST routes of the jobs service (uploads, job status, processed files, queue dashboard) are
 * reachable through the gateway, the platform's single public entry point. The gateway verifies the
 * access token exactly as for GraphQL, replaces any client identity header with its own signed one,
 * and streams the request body through without buffering it. Its own error answers (401, 413, 503)
 * have the same shape as the service's, so a client cannot tell which of the two refused.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import {
  currentRequestId,
  identityHeader,
  injectTraceHeaders,
  requestIdHeader,
  requestIdOf,
  requestOriginHeader,
  sendErrorResponse,
  signIdentity,
  signRequestOrigin,
  ErrorCode,
  type AccessTokenSettings,
  type RouteHandler,
} from "@agora/platform";
import { identityFromRequest } from "../context.js";

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "te",
  "trailer",
  "host",
  "authorization",
  identityHeader,
  requestOriginHeader,
]);

export interface RestProxyOptions {
  targetBaseUrl: string;
  serviceName: string;
  accessTokens: AccessTokenSettings;
  internalSecret: string;
  /** A declared Content-Length above this is refused with 413 before anything is sent on. */
  bodyLimitBytes: number;
  /** Longest silence from the upstream service before the request is abandoned. */
  timeoutMs: number;
  /** The client's address as trusted by the gateway (TRUSTED_PROXIES), sent on signed for the audit log. */
  clientIp?: (req: IncomingMessage) => string;
}

export function createRestProxy(options: RestProxyOptions): RouteHandler {
  const target = new URL(options.targetBaseUrl);
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    let identity;
    try {
      identity = await identityFromRequest(req, options.accessTokens);
    } catch (error) {
      return sendErrorResponse(res, ErrorCode.UNAUTHENTICATED, (error as Error).message);
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > options.bodyLimitBytes) {
      // The body that follows would be read as the next request on this connection; end it instead.
      res.setHeader("connection", "close");
      return sendErrorResponse(
        res,
        ErrorCode.BAD_USER_INPUT,
        `Request body is ${declared} bytes; the limit is ${options.bodyLimitBytes} bytes.`,
        {
          status: 413,
        },
      );
    }
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !hopByHop.has(key.toLowerCase())) headers[key] = value;
    }
    if (identity) headers[identityHeader] = await signIdentity(identity, options.internalSecret);
    // http.request is not traced by an instrumentation (see platform tracing.ts): the service's
    // span continues this request's trace through these headers, and its logs carry the same id.
    const requestId = currentRequestId() ?? requestIdOf(req);
    headers[requestIdHeader] = requestId;
    if (options.clientIp) {
      headers[requestOriginHeader] = signRequestOrigin({ clientIp: options.clientIp(req), requestId }, options.internalSecret);
    }
    injectTraceHeaders(headers);
    await new Promise<void>((resolve) => {
      const upstream = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: url.pathname + url.search,
          headers,
        },
        (response) => {
          const out: Record<string, string | string[]> = {};
          for (const [key, value] of Object.entries(response.headers)) if (value !== undefined && !hopByHop.has(key)) out[key] = value;
          // An answer before the whole request body arrived (a refused upload) leaves the rest of
          // that body on the client's connection, where it would be read as the next request; an
          // over-limit answer always ends the connection, however much of the body got here.
          if (!req.complete || response.statusCode === 413) out.connection = "close";
          res.writeHead(response.statusCode ?? 502, out);
          response.pipe(res);
          response.on("end", resolve);
          response.on("error", resolve);
        },
      );
      // A client that goes away (an aborted upload) must not keep the upstream request and its
      // temporary file open; nor may a hung upstream hold the client forever.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.setTimeout(options.timeoutMs, () => upstream.destroy(new Error("upstream timeout")));
      upstream.on("error", () => {
        if (!res.headersSent) {
          if (!req.complete) res.setHeader("connection", "close");
          sendErrorResponse(
            res,
            ErrorCode.SERVICE_UNAVAILABLE,
            `The ${options.serviceName} service is unavailable (tried ${target.origin}).`,
          );
        } else {
          res.destroy();
        }
        resolve();
      });
      req.pipe(upstream);
    });
  };
}

/**
 * A small Node `http` integration for Apollo Server: JSON body with a size limit, extra routes
 * (health, metrics, REST), and clean shutdown. Express is not needed for this much.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { GraphQLError } from "graphql";
import { createCors, type CorsOptions } from "./cors.js";
import { sendErrorResponse } from "./error-response.js";
import { ErrorCode, httpStatusFor, isErrorCode } from "./errors.js";
import { createLifecycle, drainHttpServer, sleep, type DrainOptions, type Lifecycle } from "./graceful-shutdown.js";
import { requestIdOf, runInRequestScope } from "./request-scope.js";
import { traceIncomingRequest } from "./tracing.js";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface HttpServerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Largest accepted request body; larger bodies get 413. */
  bodyLimitBytes: number;
  /** Exact-path routes checked before GraphQL, e.g. `GET /health/live`; key is `METHOD /path`. */
  routes?: Record<string, RouteHandler>;
  /** Prefix routes, e.g. `GET /jobs/`; checked after exact routes. */
  prefixRoutes?: Record<string, RouteHandler>;
  graphqlPath?: string;
  /**
   * Called with the parsed body of a GraphQL POST before Apollo sees it; resolves true when it has
   * answered the request itself (the gateway's cached responses), false to go on to Apollo.
   */
  answerBeforeApollo?: (req: IncomingMessage, res: ServerResponse, body: unknown) => boolean | Promise<boolean>;
  /**
   * Lets browser pages on these origins call every route (see cors.ts).
   * @defaultValue no CORS headers at all: same-origin and non-browser clients only
   */
  cors?: CorsOptions;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ErrorCode = ErrorCode.BAD_USER_INPUT,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit)
    throw new HttpError(413, `Request body is ${declared} bytes; the limit is ${limit} bytes.`);
  // Events, not `for await`: the async iterator and its end-of-stream bookkeeping showed in every
  // request's profile. Over the limit, reading stops; the answer closes the connection (see below).
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off("data", onData);
      req.pause();
      reject(new HttpError(413, `Request body is larger than the limit of ${limit} bytes.`));
    };
    req.on("data", onData);
    let ended = false;
    req.once("end", () => {
      ended = true;
      resolve(Buffer.concat(chunks));
    });
    req.once("error", reject);
    // A client gone mid-body (no `end`): the same failure `for await` raised. `close` follows every
    // request, so the Error (and its stack trace) is only made when it is one.
    req.once("close", () => ended || reject(new Error("The request was closed before its body ended.")));
  });
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

/**
 * Apollo answers errors thrown while building the context with HTTP 500 unless the error carries
 * `extensions.http.status`; an unverifiable token or identity is a 401 (UNAUTHENTICATED), not our failure.
 */
function withHttpStatus(error: unknown): unknown {
  if (!(error instanceof GraphQLError)) return error;
  const code = error.extensions.code as ErrorCode | undefined;
  if (!code || !(code in ErrorCode)) return error;
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: httpStatusFor(code) } } });
}

export function createHttpHandler<TContext extends BaseContext>(options: HttpServerOptions<TContext>) {
  const graphqlPath = options.graphqlPath ?? "/graphql";
  const cors = options.cors ? createCors(options.cors) : undefined;
  // Split once, not on every request.
  const prefixRoutes = Object.entries(options.prefixRoutes ?? {}).map(([key, handler]) => {
    const [method, path] = key.split(" ");
    return { method, path: path ?? "", handler };
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (cors?.(req, res) === "answered") return;
      const route = options.routes?.[`${req.method} ${url.pathname}`];
      if (route) return await route(req, res, url);
      for (const { method, path, handler } of prefixRoutes) {
        if (req.method === method && path && url.pathname.startsWith(path)) return await handler(req, res, url);
      }
      if (url.pathname !== graphqlPath && url.pathname !== "/") {
        return sendErrorResponse(
          res,
          ErrorCode.NOT_FOUND,
          `No route for ${req.method} ${url.pathname}. GraphQL is served at ${graphqlPath}.`,
        );
      }
      let body: unknown = undefined;
      if (req.method === "POST") {
        const raw = await readBody(req, options.bodyLimitBytes);
        const type = req.headers["content-type"] ?? "";
        if (type.includes("application/json") || type.includes("application/graphql-response+json")) {
          try {
            body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
          } catch (error) {
            throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`, ErrorCode.BAD_REQUEST);
          }
        } else {
          body = raw.toString("utf8");
        }
      }
      if (body !== undefined && options.answerBeforeApollo && (await options.answerBeforeApollo(req, res, body))) return;
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? "GET", headers: headerMap(req), search: url.search, body },
        context: () => options.context(req).catch((error: unknown) => Promise.reject(withHttpStatus(error))),
      });
      const headers: Record<string, string> = {};
      for (const [key, value] of response.headers) headers[key] = value;
      res.writeHead(response.status ?? 200, headers);
      if (response.body.kind === "complete") {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (error) {
      if (res.headersSent) return void res.end();
      if (error instanceof HttpError) {
        // The rest of an over-limit body is still on its way and would be read as the next request
        // on this connection; the connection ends with this answer instead.
        if (error.status === 413) res.setHeader("connection", "close");
        return sendErrorResponse(res, error.code, error.message, { status: error.status });
      }
      // Errors thrown while building the context (e.g. an unverifiable identity) are GraphQLErrors.
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      if (isErrorCode(code) && (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.SERVICE_UNAVAILABLE))
        return sendErrorResponse(res, code, (error as Error).message);
      sendErrorResponse(res, ErrorCode.INTERNAL_SERVER_ERROR, "Something went wrong on our side. It has been logged; please try again.");
      throw error;
    }
  };
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Drains: stops accepting, lets requests in flight finish within `graceMs`, then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host = "0.0.0.0",
  onError?: (error: unknown) => void,
  lifecycle: Lifecycle = createLifecycle(),
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    // While draining, every response retires its connection, so keep-alive clients reconnect elsewhere.
    if (lifecycle.draining) res.setHeader("connection", "close");
    // Everything the request does (resolvers, subgraph calls, log lines) runs inside its scope and,
    // when tracing is on, its SERVER span.
    runInRequestScope({ requestId: requestIdOf(req) }, () => traceIncomingRequest(req, res, () => handler(req, res))).catch((error) =>
      onError?.(error),
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    close: async (graceMs?: number) => {
      lifecycle.draining = true;
      await drainHttpServer(server, graceMs);
    },
  };
}

export interface ServedHandler {
  listen(port: number, host?: string): Promise<RunningServer>;
  /** Zero-drop stop (see graceful-shutdown.ts); idempotent. */
  stop(): Promise<void>;
  /** True from the moment `stop` is called: `/health/ready` then answers 503. */
  readonly lifecycle: Lifecycle;
}

export interface ServedLog {
  error(details: object, message: string): void;
  debug?(details: object, message: string): void;
  isLevelEnabled?(level: string): boolean;
}

/** The access log, at debug level: one line per answered request, inside its scope (request id, trace id). */
function logWhenAnswered(log: ServedLog, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const path = (req.url ?? "/").split("?")[0];
  // Bound, so the line is written in the request's scope whichever callback emits "finish".
  res.once(
    "finish",
    AsyncLocalStorage.bind(() =>
      log.debug?.({ method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, "request answered"),
    ),
  );
}

/**
 * `listen` (any number of times, e.g. on port 0 in tests) and an idempotent `stop` that drains
 * every listener (not ready first, then in-flight requests finish), then runs `onStop` once (e.g.
 * stopping Apollo Server).
 */
export function serveHandler(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log: ServedLog,
  onStop: () => Promise<void>,
  drain: DrainOptions = {},
): ServedHandler {
  const open: RunningServer[] = [];
  const lifecycle = createLifecycle();
  let stopped = false;
  const served = async (req: IncomingMessage, res: ServerResponse) => {
    if (lifecycle.draining && req.method === "GET" && req.url?.split("?")[0] === "/health/ready") {
      return sendErrorResponse(res, ErrorCode.SERVICE_UNAVAILABLE, "This instance is shutting down; use another one.", {
        details: { status: "draining" },
      });
    }
    if (log.isLevelEnabled?.("debug")) logWhenAnswered(log, req, res);
    return handler(req, res);
  };
  return {
    lifecycle,
    async listen(port, host) {
      const running = await listen(served, port, host, (error) => log.error({ err: error }, "request failed"), lifecycle);
      open.push(running);
      return running;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      lifecycle.draining = true;
      if (drain.delayMs) await sleep(drain.delayMs);
      await Promise.all(open.splice(0).map((s) => s.close(drain.graceMs)));
      await onStop();
    },
  };
}

/**
 * GraphQL subscriptions over graphql-ws on the gateway's own HTTP server and path (/graphql), so
 * clients keep one endpoint: HTTP POST/GET for queries and mutations, a WebSocket upgrade for
 * subscriptions (and for queries and mutations sent over the socket, which go through Apollo like
 * HTTP ones). @apollo/gateway cannot execute subscriptions; each event is resolved as a query
 * through it (live-subscription.ts, operation-rewrite.ts).
 *
 * Limits, each with a close code (close-codes.ts): sockets per user and per address, subscriptions
 * per socket, message size (ws maxPayload), keep-alive pings (a peer that stops answering is
 * terminated), slow consumers (bufferedAmount or queued events past a bound), token expiry.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import type { ApolloServer } from "@apollo/server";
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { ErrorCode, type AccessTokenSettings, type Identity, type Logger } from "@agora/platform";
import type { GatewayContext } from "../context.js";
import { LiveCloseCode } from "./close-codes.js";
import { identifySocket } from "./connection-auth.js";
import { LiveEventBus } from "./event-bus.js";
import { startLiveSubscription } from "./live-subscription.js";
import { rewriteSubscription } from "./operation-rewrite.js";
import { sharedExecutions } from "./shared-executions.js";
import { SocketLimits } from "./socket-limits.js";

/** Subscription settings (SUBSCRIPTIONS_* in the gateway's config.ts and the README table). */
export interface SubscriptionServerOptions {
  apollo: ApolloServer<GatewayContext>;
  /** The API schema clients see (from the gateway's supergraph); operations are validated against it. */
  schema: () => GraphQLSchema | null;
  accessTokens: AccessTokenSettings;
  redisUrl: string;
  /** REDIS_KEY_PREFIX, shared with the publishers. */
  keyPrefix: string;
  /** @defaultValue "/graphql" */
  path?: string;
  /** @defaultValue 10 */
  maxSocketsPerUser: number;
  /** @defaultValue 50 */
  maxSocketsPerIp: number;
  /** @defaultValue 25 */
  maxSubscriptionsPerSocket: number;
  /** Largest message a client may send (ws maxPayload); larger closes with 1009. @defaultValue 65536 */
  maxMessageBytes: number;
  /** Ping every this often; a peer silent for as long again is terminated. 0 disables. @defaultValue 12000 */
  keepAliveMs: number;
  /** Bytes a socket may have unsent before it is dropped as a slow consumer (4013). @defaultValue 1048576 */
  maxBufferedBytes: number;
  /** Events one subscription may have waiting before its socket is dropped as a slow consumer. @defaultValue 100 */
  maxQueuedEvents: number;
  /** Event queries through the gateway running at once; more wait (shared-executions.ts). @defaultValue 32 */
  maxConcurrentExecutions: number;
  /** How long a new subscription waits for Redis. @defaultValue 3000 */
  redisTimeoutMs: number;
  /** The client's address, as the HTTP side resolves it (TRUSTED_PROXIES, context.ts). */
  clientIp: (request: IncomingMessage) => string;
  /** How long `close` waits for clients to answer the 1001 close frame before cutting them. @defaultValue 1000 */
  closeTimeoutMs?: number;
  log: Logger;
  /** Development: error messages of internal failures are shown. */
  exposeErrorDetails: boolean;
}

export interface SubscriptionServer {
  /** Serves WebSocket upgrades on this HTTP server's /graphql. */
  attach(server: Server): void;
  /** Open sockets on this gateway. */
  readonly socketCount: number;
  /** Refuses new sockets, closes open ones with 1001 "going away", releases Redis. */
  close(): Promise<void>;
}

interface SocketState {
  ip: string;
  identity: Identity | null;
  expiry: NodeJS.Timeout | null;
}

const toGraphQLError = (error: GraphQLFormattedError) =>
  new GraphQLError(error.message, { ...(error.path ? { path: error.path } : {}), extensions: error.extensions ?? {} });

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const path = options.path ?? "/graphql";
  const { log } = options;
  const bus = new LiveEventBus({ redisUrl: options.redisUrl, subscribeTimeoutMs: options.redisTimeoutMs, log });
  const limits = new SocketLimits({ maxPerUser: options.maxSocketsPerUser, maxPerIp: options.maxSocketsPerIp });
  const states = new WeakMap<WebSocket, SocketState>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  let closing = false;

  const closeSocket = (socket: WebSocket, code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
  };

  async function execute(
    identity: Identity | null,
    query: DocumentNode | string,
    variables: Record<string, unknown> | undefined,
    operationName?: string | null,
    /** A client operation sent over the socket (charged by the rate limiter), or the gateway's own payload query. */
    from: { clientIp: string } | "gateway" = "gateway",
  ): Promise<ExecutionResult> {
    const response = await options.apollo.executeOperation(
      { query, variables: variables ?? {}, ...(operationName ? { operationName } : {}) },
      // A payload query is the gateway's own (`internal`: the socket was limited when it subscribed);
      // a query or mutation the client sent is charged like one over HTTP, from the client's address.
      {
        contextValue:
          from === "gateway"
            ? { identity, requestId: randomUUID(), clientIp: "gateway", internal: true }
            : { identity, requestId: randomUUID(), clientIp: from.clientIp },
      },
    );
    if (response.body.kind !== "single") return { errors: [new GraphQLError("Incremental delivery is not supported over WebSocket.")] };
    const { data, errors } = response.body.singleResult;
    return { ...(data !== undefined ? { data } : {}), ...(errors ? { errors: errors.map(toGraphQLError) } : {}) };
  }

  const executeShared = sharedExecutions(
    (identity, query, variables) => execute(identity, query, variables),
    options.maxConcurrentExecutions,
  );

  const graphqlWs = useServer<Record<string, unknown> | undefined, { state?: SocketState }>(
    {
      isProd: !options.exposeErrorDetails,
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        const state = states.get(socket);
        if (!state) return false;
        let identified;
        try {
          identified = await identifySocket(ctx.connectionParams, options.accessTokens);
        } catch (error) {
          closeSocket(socket, LiveCloseCode.Unauthorized, (error as Error).message.slice(0, 120));
          return false;
        }
        // Closed while the token was checked: onClose has already run, so a slot taken now would leak.
        if (socket.readyState !== socket.OPEN) return false;
        if (identified.identity) {
          if (!limits.acquireUser(identified.identity.userId)) {
            log.warn({ userId: identified.identity.userId, ip: state.ip }, "subscriptions: too many sockets for one user; refused");
            closeSocket(socket, LiveCloseCode.TooManySockets, `At most ${options.maxSocketsPerUser} sockets per user.`);
            return false;
          }
          state.identity = identified.identity;
        }
        if (identified.expiresAt !== null) {
          state.expiry = setTimeout(
            () => closeSocket(socket, LiveCloseCode.Unauthorized, "The access token has expired; reconnect with a fresh one."),
            // setTimeout fires at once for delays above 2^31-1 ms (~24.8 days): clamp, a socket that old reconnects.
            Math.min(2 ** 31 - 1, Math.max(0, identified.expiresAt - Date.now())),
          );
          state.expiry.unref();
        }
        return true;
      },
      onSubscribe(ctx, _id, payload) {
        if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(`At most ${options.maxSubscriptionsPerSocket} subscriptions per socket; complete one first.`, {
              extensions: { code: ErrorCode.RATE_LIMITED },
            }),
          ];
        }
        const schema = options.schema();
        if (!schema)
          return [new GraphQLError("The gateway is starting; try again.", { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } })];
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        const errors = validate(schema, document);
        if (errors.length)
          return errors.map(
            (e) => new GraphQLError(e.message, { nodes: e.nodes ?? [], extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }),
          );
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? {},
          contextValue: ctx.extra.socket,
        };
        return args;
      },
      // Queries and mutations sent over the socket: executed by Apollo like HTTP ones.
      execute: (args) => {
        const state = states.get(args.contextValue as WebSocket);
        return execute(state?.identity ?? null, args.document, args.variableValues ?? {}, args.operationName, {
          clientIp: state?.ip ?? "unknown",
        });
      },
      subscribe: async (args) => {
        const socket = args.contextValue as WebSocket;
        const operation = getOperationAST(args.document, args.operationName);
        const variables = (args.variableValues ?? {}) as Record<string, unknown>;
        if (!operation) return { errors: [new GraphQLError("Unable to identify the operation.")] };
        let live;
        try {
          live = rewriteSubscription(args.document, operation, variables);
        } catch (error) {
          return { errors: [new GraphQLError((error as Error).message, { extensions: { code: ErrorCode.BAD_USER_INPUT } })] };
        }
        const state = states.get(socket);
        const stream = await startLiveSubscription({
          operation: live,
          variables,
          identity: state?.identity ?? null,
          keyPrefix: options.keyPrefix,
          bus,
          execute: executeShared,
          maxQueued: options.maxQueuedEvents,
          onSlowConsumer: () => dropSlowConsumer(socket, "too many events waiting"),
          log,
        });
        return stream;
      },
      // Every payload goes out through here: a socket that does not read is dropped before its
      // unsent bytes pass the bound.
      onNext(ctx) {
        const socket = ctx.extra.socket;
        if (socket.bufferedAmount > options.maxBufferedBytes) dropSlowConsumer(socket, `${socket.bufferedAmount} bytes unsent`);
      },
      onClose(ctx) {
        const state = states.get(ctx.extra.socket);
        if (!state) return;
        if (state.expiry) clearTimeout(state.expiry);
        if (state.identity) limits.releaseUser(state.identity.userId);
        state.identity = null;
      },
    },
    wss,
    options.keepAliveMs,
  );

  const dropped = new WeakSet<WebSocket>();
  function dropSlowConsumer(socket: WebSocket, why: string) {
    if (dropped.has(socket)) return;
    dropped.add(socket);
    const state = states.get(socket);
    log.warn({ userId: state?.identity?.userId, ip: state?.ip, why }, "subscriptions: slow consumer dropped");
    closeSocket(socket, LiveCloseCode.SlowConsumer, "Too slow reading messages; reconnect and catch up.");
    // A peer that does not read will not read the close frame either.
    setTimeout(() => socket.terminate(), 1000).unref();
  }

  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const ip = options.clientIp(request);
    states.set(socket, { ip, identity: null, expiry: null });
    const counted = limits.acquireIp(ip);
    socket.once("close", () => counted && limits.releaseIp(ip));
    if (!counted) {
      log.warn({ ip }, "subscriptions: too many sockets from one address; refused");
      closeSocket(socket, LiveCloseCode.TooManySockets, `At most ${options.maxSocketsPerIp} sockets per address.`);
    }
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's HTTP server stops watching a socket once it is upgraded: a peer that resets it (a load
    // balancer's client gone, a killed process) would otherwise be an unhandled 'error' that takes
    // the whole gateway down.
    socket.on("error", (error) => log.debug({ err: error }, "subscriptions: socket error"));
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== path || closing) {
      const status = closing ? "503 Service Unavailable" : "404 Not Found";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };

  const servers: Server[] = [];
  return {
    attach(server) {
      servers.push(server);
      server.on("upgrade", onUpgrade);
    },
    get socketCount() {
      return wss.clients.size;
    },
    async close() {
      if (closing) return;
      closing = true;
      const open = [...wss.clients];
      const allClosed = Promise.all(open.map((socket) => new Promise((resolve) => socket.once("close", resolve))));
      for (const socket of open) closeSocket(socket, LiveCloseCode.GoingAway, "The gateway is going away; reconnect.");
      // Clients answer the close frame at once; one that does not is cut after a second.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allClosed, new Promise((resolve) => (timer = setTimeout(resolve, options.closeTimeoutMs ?? 1000)))]);
      clearTimeout(timer);
      for (const socket of wss.clients) socket.terminate();
      await graphqlWs.dispose();
      for (const server of servers) server.off("upgrade", onUpgrade);
      await bus.close();
    },
  };
}

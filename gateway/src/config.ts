import { z } from "zod";
import { accessTokenEnv, commonEnv, loadConfig, port, type Env } from "@agora/platform";

export const gatewayEnv = {
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  INTERNAL_SECRET: commonEnv.INTERNAL_SECRET,
  BODY_LIMIT_BYTES: commonEnv.BODY_LIMIT_BYTES,
  SHUTDOWN_DELAY_MS: commonEnv.SHUTDOWN_DELAY_MS,
  SHUTDOWN_GRACE_MS: commonEnv.SHUTDOWN_GRACE_MS,
  ...accessTokenEnv,
  GATEWAY_PORT: port(4001),
  GATEWAY_HOST: z.string().default("0.0.0.0"),
  USERS_URL: z.string().url().default("http://127.0.0.1:4101/graphql"),
  OFFERS_URL: z.string().url().default("http://127.0.0.1:4102/graphql"),
  REVIEWS_URL: z.string().url().default("http://127.0.0.1:4103/graphql"),
  JOBS_URL: z.string().url().default("http://127.0.0.1:4104/graphql"),
  /** Per-subgraph request timeout. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Largest upload body the gateway passes on to the jobs service (the jobs service enforces its own limit). */
  UPLOAD_PROXY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(11 * 1024 * 1024),
  /** Live events (subscriptions) are received from this Redis, under REDIS_KEY_PREFIX, where workers and subgraphs publish them. */
  REDIS_URL: commonEnv.REDIS_URL,
  REDIS_KEY_PREFIX: commonEnv.REDIS_KEY_PREFIX,
  /** Open WebSocket sockets one user may hold on one gateway. @defaultValue 10 */
  SUBSCRIPTIONS_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(10),
  /** Open WebSocket sockets one client address may hold on one gateway. @defaultValue 50 */
  SUBSCRIPTIONS_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).default(50),
  /** Active subscriptions per socket. @defaultValue 25 */
  SUBSCRIPTIONS_MAX_PER_SOCKET: z.coerce.number().int().min(1).default(25),
  /** Largest WebSocket message a client may send; larger closes the socket with 1009. @defaultValue 65536 */
  SUBSCRIPTIONS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(65_536),
  /** Keep-alive ping interval; a client silent for as long again is cut. 0 disables. @defaultValue 12000 */
  SUBSCRIPTIONS_KEEPALIVE_MS: z.coerce.number().int().min(0).default(12_000),
  /** Unsent bytes a socket may have before it is dropped as a slow consumer (close 4013). @defaultValue 1048576 */
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Events one subscription may have waiting before its socket is dropped as a slow consumer (4013). @defaultValue 100 */
  SUBSCRIPTIONS_MAX_QUEUED_EVENTS: z.coerce.number().int().min(1).default(100),
  /** Subscription event queries through the gateway running at once (the rest wait, so subgraphs are not flooded). @defaultValue 32 */
  SUBSCRIPTIONS_MAX_CONCURRENT_EXECUTIONS: z.coerce.number().int().min(1).default(32),
  /** Count sockets per address by the last X-Forwarded-For entry (set it behind HAProxy with `option forwardfor`). @defaultValue false */
  SUBSCRIPTIONS_TRUST_FORWARDED_FOR: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  /** How long a new subscription waits for Redis before it fails with SERVICE_UNAVAILABLE. @defaultValue 3000 */
  SUBSCRIPTIONS_REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  return loadConfig(gatewayEnv, env);
}

export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return { users: config.USERS_URL, offers: config.OFFERS_URL, reviews: config.REVIEWS_URL, jobs: config.JOBS_URL };
}

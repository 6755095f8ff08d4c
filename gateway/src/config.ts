import { z } from "zod";
import { accessTokenEnv, commonEnv, loadConfig, port, type Env } from "@agora/platform";

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1");

/** Caches (README, "Gateway caches"). */
export const cacheEnv = {
  /** Share query plans between gateways through Redis (an in-process LRU stays in front). @defaultValue true */
  PLAN_CACHE_SHARED: flag(true),
  /** Plans kept in each gateway's memory. @defaultValue 1000 */
  PLAN_CACHE_MEMORY_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Lifetime of a plan in Redis after it was last stored. @defaultValue 86400 */
  PLAN_CACHE_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  /** Most-used plans loaded from Redis before a starting gateway reports ready. @defaultValue 200 */
  PLAN_CACHE_WARMUP_COUNT: z.coerce.number().int().min(0).max(100_000).default(200),
  /** Automatic persisted queries, shared in Redis. @defaultValue true */
  APQ_ENABLED: flag(true),
  /** Lifetime of a persisted query in Redis. @defaultValue 86400 */
  APQ_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
};
export const gatewayEnv = {
  ...cacheEnv,
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  INTERNAL_SECRET: commonEnv.INTERNAL_SECRET,
  BODY_LIMIT_BYTES: commonEnv.BODY_LIMIT_BYTES,
  REDIS_URL: commonEnv.REDIS_URL,
  REDIS_KEY_PREFIX: commonEnv.REDIS_KEY_PREFIX,
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
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  return loadConfig(gatewayEnv, env);
}

export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return { users: config.USERS_URL, offers: config.OFFERS_URL, reviews: config.REVIEWS_URL, jobs: config.JOBS_URL };
}

import { z } from "zod";
import {
  accessTokenEnv,
  commonEnv,
  developmentCorsOrigins,
  loadConfig,
  parseCorsOrigins,
  port,
  type CorsOptions,
  type Env,
} from "@agora/platform";
import { policyEnv } from "./plugins/rate-limit-policy.js";

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1");
const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const redisDownMode = (fallback: "fallback" | "closed") => z.enum(["fallback", "closed"]).default(fallback);

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
  /**
   * Comma-separated browser origins allowed to call the gateway (CORS). Unset: none in production,
   * the usual local dev servers otherwise (see `corsOptions`); empty: none.
   */
  CORS_ORIGINS: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseCorsOrigins(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** `Access-Control-Allow-Credentials` for the allowed origins; Agora itself uses bearer tokens, not cookies. */
  CORS_ALLOW_CREDENTIALS: z.stringbool().default(false),

  /** Redis shared by every gateway: rate-limit buckets live under `<REDIS_KEY_PREFIX>ratelimit:`. */
  REDIS_URL: commonEnv.REDIS_URL,
  REDIS_KEY_PREFIX: commonEnv.REDIS_KEY_PREFIX,
  /**
   * Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (comma-separated addresses or
   * CIDRs, e.g. `127.0.0.1,10.0.0.0/8`). Empty: the socket's address is the client, always.
   */
  TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((text) =>
      text
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
    ),
  /** The header trusted proxies set: `x-forwarded-for` (HAProxy's `option forwardfor`) or `forwarded` (RFC 7239). */
  TRUSTED_PROXY_HEADER: z.enum(["x-forwarded-for", "forwarded"]).default("x-forwarded-for"),

  /** Rate limiting in Redis (plugins/rate-limit.ts). Policies are `<points>/<seconds>s[,burst=<points>]`. */
  RATE_LIMIT_ENABLED: flag(true),
  /** Requests without a token, per client IP. */
  RATE_LIMIT_ANONYMOUS: policyEnv("1000/60s"),
  /** Signed-in users by role, per token subject. */
  RATE_LIMIT_USER: policyEnv("5000/60s"),
  RATE_LIMIT_MODERATOR: policyEnv("10000/60s"),
  RATE_LIMIT_ADMIN: policyEnv("20000/60s"),
  /** Every request from one client IP, signed in or not. */
  RATE_LIMIT_IP: policyEnv("20000/60s"),
  /** `login` attempts per account (the email, normalised); one point per attempt, aliases included. */
  RATE_LIMIT_LOGIN_ACCOUNT: policyEnv("10/900s"),
  /** `login` and `refreshToken` attempts per client IP. */
  RATE_LIMIT_LOGIN_IP: policyEnv("100/900s"),
  /** Queries while Redis is unreachable: `fallback` (a per-process limiter) or `closed` (503). */
  RATE_LIMIT_REDIS_DOWN_READS: redisDownMode("fallback"),
  /** Mutations (logins included) while Redis is unreachable: `closed` (503) or `fallback`. */
  RATE_LIMIT_REDIS_DOWN_WRITES: redisDownMode("closed"),
  /** Longest wait for a decision from Redis before it counts as unreachable. */
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().min(10).default(500),

  /** Operation limits (plugins/operation-limits.ts), refused with OPERATION_TOO_COMPLEX. */
  OPERATION_MAX_DEPTH: limit(10),
  OPERATION_MAX_ALIASES: limit(15),
  OPERATION_MAX_ROOT_FIELDS: limit(10),
  OPERATION_MAX_DIRECTIVES: limit(50),
  OPERATION_MAX_TOKENS: limit(1000),
  OPERATION_MAX_COST: limit(5000),
  /** Accept a JSON array of operations in one POST (each counts against limits and budget). */
  BATCHED_REQUESTS_ENABLED: flag(false),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  return loadConfig(gatewayEnv, env);
}

export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return { users: config.USERS_URL, offers: config.OFFERS_URL, reviews: config.REVIEWS_URL, jobs: config.JOBS_URL };
}

export function corsOptions(config: GatewayConfig): CorsOptions {
  const origins = config.CORS_ORIGINS ?? (config.NODE_ENV === "production" ? [] : [...developmentCorsOrigins]);
  if (config.CORS_ALLOW_CREDENTIALS && origins.includes("*")) {
    throw new Error("Invalid configuration: CORS_ALLOW_CREDENTIALS cannot be combined with CORS_ORIGINS=*; list the origins.");
  }
  return { origins, allowCredentials: config.CORS_ALLOW_CREDENTIALS };
}

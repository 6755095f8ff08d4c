import { z } from "zod";
import {
  accessTokenEnv,
  commonEnv,
  developmentCorsOrigins,
  loadConfig,
  parseCorsOrigins,
  port,
  tracingEnv,
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

export const subgraphNames = ["users", "offers", "reviews", "jobs"] as const;
export type SubgraphName = (typeof subgraphNames)[number];

/** "reviews,jobs" → ["reviews", "jobs"]; every name must be one of the four subgraphs. */
const subgraphList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(subgraphNames)));

/** "reviews=2000,jobs=5000" → { reviews: 2000, jobs: 5000 }. */
const subgraphMillis = z.string().transform((value, ctx) => {
  const out: Partial<Record<string, number>> = {};
  for (const pair of value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, ms] = pair.split("=").map((p) => p.trim());
    const parsed = Number(ms);
    if (!name || !(subgraphNames as readonly string[]).includes(name) || !Number.isInteger(parsed) || parsed < 100) {
      ctx.addIssue({
        code: "custom",
        message: `"${pair}" is not <subgraph>=<milliseconds ≥ 100> (subgraphs: ${subgraphNames.join(", ")})`,
      });
      return z.NEVER;
    }
    out[name] = parsed;
  }
  return out as Partial<Record<SubgraphName, number>>;
});

/** Caches (README, "Gateway caches"). */
export const cacheEnv = {
  /** Identical subgraph queries in flight at once (same caller) share one fetch; never mutations. @defaultValue true */
  SUBGRAPH_DEDUPLICATION: flag(true),
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
  /**
   * Whole query results cached in Redis (with an in-process LRU in front) as the subgraphs'
   * `@cacheControl` hints allow, retired by every write (plugins/response-cache.ts). @defaultValue true
   */
  RESPONSE_CACHE_ENABLED: flag(true),
  /** Responses kept in each gateway's memory. @defaultValue 10000 */
  RESPONSE_CACHE_MEMORY_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Longest a response stays cached, whatever max age the subgraphs allow. @defaultValue 300 */
  RESPONSE_CACHE_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
};
export const gatewayEnv = {
  ...cacheEnv,
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  LOG_FORMAT: commonEnv.LOG_FORMAT,
  ...tracingEnv,
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
  /** Overrides of SUBGRAPH_TIMEOUT_MS for single subgraphs, e.g. "reviews=2000,jobs=5000". */
  SUBGRAPH_TIMEOUTS_MS: subgraphMillis.default({}),
  /**
   * Subgraphs without which the gateway is not ready (503, taken out of rotation); any other one
   * being down only makes it degraded (200, partial results).
   */
  CRITICAL_SUBGRAPHS: subgraphList.default(["users", "offers"]),
  /** Consecutive failures (refused, timed out, 502/503/504) of one subgraph that open its breaker. */
  BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  /** How long an open breaker fails fast before one probe request may close it again. */
  BREAKER_HALF_OPEN_AFTER_MS: z.coerce.number().int().min(100).default(5000),
  /** Extra attempts of a subgraph query whose connection failed before anything was sent. */
  SUBGRAPH_CONNECT_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
  /** Longest wait of /health/ready for each subgraph and Redis (below HAProxy's check timeout). */
  READINESS_PROBE_TIMEOUT_MS: z.coerce.number().int().min(50).default(500),
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

  /**
   * Redis shared by every gateway: rate-limit buckets (`<REDIS_KEY_PREFIX>ratelimit:`), the plan
   * cache and APQ, and the live events (subscriptions) workers and subgraphs publish (`live:`).
   */
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
  /** Rate-limit and operation-limit refusals are audited as one event per client, budget or limit, and window of this length (plugins/audit-refusals.ts). @defaultValue 60000 */
  AUDIT_REFUSAL_WINDOW_MS: z.coerce.number().int().min(100).default(60_000),
  /** Distinct refused clients audited per window; refusals beyond them are one overflow event. @defaultValue 1000 */
  AUDIT_REFUSAL_MAX_KEYS: z.coerce.number().int().min(1).max(100_000).default(1000),

  /** Operation limits (plugins/operation-limits.ts), refused with OPERATION_TOO_COMPLEX. */
  OPERATION_MAX_DEPTH: limit(10),
  OPERATION_MAX_ALIASES: limit(15),
  OPERATION_MAX_ROOT_FIELDS: limit(10),
  OPERATION_MAX_DIRECTIVES: limit(50),
  OPERATION_MAX_TOKENS: limit(1000),
  OPERATION_MAX_COST: limit(5000),
  /** Accept a JSON array of operations in one POST (each counts against limits and budget). */
  BATCHED_REQUESTS_ENABLED: flag(false),

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
  /** How long a new subscription waits for Redis before it fails with SERVICE_UNAVAILABLE. @defaultValue 3000 */
  SUBSCRIPTIONS_REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Env = process.env) {
  return loadConfig(gatewayEnv, env);
}

export function subgraphUrls(config: GatewayConfig): Record<SubgraphName, string> {
  return { users: config.USERS_URL, offers: config.OFFERS_URL, reviews: config.REVIEWS_URL, jobs: config.JOBS_URL };
}

export function subgraphTimeoutMs(config: GatewayConfig, name: string): number {
  return config.SUBGRAPH_TIMEOUTS_MS[name as SubgraphName] ?? config.SUBGRAPH_TIMEOUT_MS;
}

export function corsOptions(config: GatewayConfig): CorsOptions {
  const origins = config.CORS_ORIGINS ?? (config.NODE_ENV === "production" ? [] : [...developmentCorsOrigins]);
  if (config.CORS_ALLOW_CREDENTIALS && origins.includes("*")) {
    throw new Error("Invalid configuration: CORS_ALLOW_CREDENTIALS cannot be combined with CORS_ORIGINS=*; list the origins.");
  }
  return { origins, allowCredentials: config.CORS_ALLOW_CREDENTIALS };
}

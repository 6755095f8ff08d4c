import { z } from "zod";
import { accessTokenEnv, commonEnv, loadConfig, port, type Env } from "@agora/platform";

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
  REDIS_URL: commonEnv.REDIS_URL,
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

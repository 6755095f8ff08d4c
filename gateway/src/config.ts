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

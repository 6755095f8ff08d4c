/**
 * Configuration is read from the environment once, at start, and validated; a bad value stops the
 * service with a message naming the variable. Every variable is listed in the README table and in
 * `.env.example`.
 */
import { z } from "zod";
import { devSecret, minimumSecretLength, productionSecretProblems } from "./secret-policy.js";
import { tracingEnv } from "./tracing-config.js";

export { devSecret } from "./secret-policy.js";

/** Variables every service reads. */
export const commonEnv = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * `pretty` (readable lines for a terminal) or `json` (one object per line, for log shippers).
   * @defaultValue pretty when NODE_ENV=development, json otherwise
   */
  LOG_FORMAT: z.enum(["pretty", "json"]).optional(),
  DATABASE_URL: z.string().url().default("postgresql://postgres@127.0.0.1:5432/agora"),
  DATABASE_REPLICA_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  READ_YOUR_WRITES_WINDOW_MS: z.coerce.number().int().min(0).default(5000),
  REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
  REDIS_KEY_PREFIX: z.string().default("agora:"),
  INTERNAL_SECRET: z.string().min(minimumSecretLength, `must be at least ${minimumSecretLength} characters`).default(devSecret),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /**
   * On SIGTERM, how long to keep serving while `/health/ready` says 503, so a load balancer's health
   * check takes the instance out before it stops accepting connections. @defaultValue 0
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** On SIGTERM, how long requests in flight may take before their connections are cut. @defaultValue 10000 */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** OpenTelemetry (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER*, ...): tracing-config.ts. */
  ...tracingEnv,
};

export type Env = Record<string, string | undefined>;

export function loadConfig<S extends z.ZodRawShape>(shape: S, env: Env = process.env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join(".")}: ${issue.message} (got ${JSON.stringify(env[String(issue.path[0])])})`,
    );
    throw new Error(`Invalid configuration:\n${lines.join("\n")}\nSee the configuration table in README.md.`);
  }
  const config = result.data as Record<string, unknown>;
  if (config.NODE_ENV === "production") {
    const problems = productionSecretProblems(config);
    if (problems.length) throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return result.data;
}

/** Ports default to the layout in DESIGN.md. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

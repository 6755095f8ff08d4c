/** The jobs service's configuration, read once at start (see the README configuration table). */
import { commonEnv, loadConfig, port, type Env } from "@agora/platform";
import { storageEnv } from "@agora/platform/storage";
import { z } from "zod";

export const jobsEnv = {
  ...commonEnv,
  ...storageEnv,
  /** @defaultValue 4104 */
  PORT: port(4104),
  /** @defaultValue 0.0.0.0 */
  HOST: z.string().default("0.0.0.0"),
  /** Base of the URLs of processed images (the gateway/HAProxy address clients use). @defaultValue http://127.0.0.1:4001 */
  PUBLIC_BASE_URL: z.string().url().default("http://127.0.0.1:4000"),
  /** Largest accepted upload (the file part); larger ones get 413. @defaultValue 10 MiB */
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
  /** Largest accepted image in pixels (width × height); larger ones get 422. @defaultValue 40,000,000 */
  IMAGE_MAX_PIXELS: z.coerce.number().int().min(1).default(40_000_000),
  /** BullMQ attempts per job (Job.maxAttempts of new rows). @defaultValue 3 */
  JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(3),
  /** Base delay of the workers' "exponential-jitter" retry backoff. @defaultValue 1000 */
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(1000),
  /** How often the outbox relay looks for rows not yet queued (it also runs right after each commit). @defaultValue 1000 */
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1000),
  /** Longest wait for Redis in one relay pass; the rows wait for the next pass after that. @defaultValue 5000 */
  OUTBOX_REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
};

export type JobsConfig = z.infer<z.ZodObject<typeof jobsEnv>>;

export function loadJobsConfig(env: Env = process.env): JobsConfig {
  return loadConfig(jobsEnv, env);
}

/** The worker pool's configuration, read once at start (see the README configuration table). */
import { commonEnv, loadConfig, port, type Env } from "@agora/platform";
import { queueNames, type QueueName } from "@agora/platform/queues";
import { storageEnv } from "@agora/platform/storage";
import { z } from "zod";
import { searchEnv } from "@agora/offers/search";

const allQueues = Object.values(queueNames) as QueueName[];

const milliseconds = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalConcurrency = z.coerce.number().int().min(1).max(1000).optional();

/** Concurrency per queue when neither WORKER_CONCURRENCY nor a per-queue variable is set. */
export const defaultConcurrency: Record<QueueName, number> = {
  // sharp already spreads one image over libvips threads: more than two at once only queues in RAM.
  "image-processing": 2,
  analytics: 2,
  moderation: 8,
  "search-index": 1,
  maintenance: 4,
};

/** `image-processing` -> `WORKER_CONCURRENCY_IMAGE_PROCESSING` */
export const concurrencyVariable = (queue: QueueName) => `WORKER_CONCURRENCY_${queue.toUpperCase().replace(/-/g, "_")}`;

export const workersEnv = {
  ...commonEnv,
  ...storageEnv,
  /** Queues this process consumes, comma-separated. @defaultValue all five */
  WORKER_QUEUES: z
    .string()
    .default(allQueues.join(","))
    .transform((value, ctx) => {
      const names = value
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = names.filter((name) => !allQueues.includes(name as QueueName));
      if (unknown.length || names.length === 0) {
        ctx.addIssue({
          code: "custom",
          message: `unknown queue(s) ${unknown.join(", ") || "(none given)"}; known: ${allQueues.join(", ")}`,
        });
        return z.NEVER;
      }
      return [...new Set(names)] as QueueName[];
    }),
  /** Concurrency of every queue in this process; per-queue variables below win. @defaultValue per queue (image-processing 2, analytics 2, moderation 8, search-index 1, maintenance 4) */
  WORKER_CONCURRENCY: optionalConcurrency,
  WORKER_CONCURRENCY_IMAGE_PROCESSING: optionalConcurrency,
  WORKER_CONCURRENCY_ANALYTICS: optionalConcurrency,
  WORKER_CONCURRENCY_MODERATION: optionalConcurrency,
  WORKER_CONCURRENCY_SEARCH_INDEX: optionalConcurrency,
  WORKER_CONCURRENCY_MAINTENANCE: optionalConcurrency,
  /** GET /health port; 0 picks a free one (logged at start). @defaultValue 4110 */
  WORKER_HEALTH_PORT: port(4110),
  /** @defaultValue 0.0.0.0 */
  WORKER_HEALTH_HOST: z.string().default("0.0.0.0"),
  /** How long a worker holds a job's lock without renewing it; renewed every half of it. @defaultValue 30000 */
  WORKER_LOCK_DURATION_MS: milliseconds(30_000, 100),
  /** How often BullMQ looks for jobs whose worker died (lock expired) and re-delivers them. @defaultValue 30000 */
  WORKER_STALLED_INTERVAL_MS: milliseconds(30_000, 100),
  /** Re-deliveries of a stalled job before it fails (a job that kills its worker each time). @defaultValue 2 */
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(2),
  /** Longest wait for active jobs on SIGTERM before exiting anyway (they are then re-delivered). @defaultValue 25000 */
  WORKER_SHUTDOWN_TIMEOUT_MS: milliseconds(25_000),
  /** Least time between two progress writes of one job. @defaultValue 500 */
  JOB_PROGRESS_THROTTLE_MS: milliseconds(500),
  /** Every how often the analytics roll-up runs (a BullMQ job scheduler); 0 removes the schedule. @defaultValue 900000 (15 min) */
  ANALYTICS_ROLLUP_EVERY_MS: milliseconds(15 * 60_000),
  /** Every how often the clean-up of orphaned uploads, expired refresh tokens and old audit events runs; 0 removes it. @defaultValue 3600000 (1 h) */
  MAINTENANCE_EVERY_MS: milliseconds(60 * 60_000),
  /** Days security audit events are kept; older ones are pruned by the maintenance schedule (at least 30, audit.prune refuses less). @defaultValue 365 */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30).max(36_500).default(365),
  /** Age after which an upload without a live job is deleted by the clean-up. @defaultValue 86400000 (1 day) */
  UPLOAD_ORPHAN_AGE_MS: milliseconds(24 * 60 * 60_000),
  /** Analytics events moved from the Redis stream to Postgres per batch. @defaultValue 500 */
  ANALYTICS_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Longest wait of the analytics drain for new events (XREADGROUP BLOCK). @defaultValue 2000 */
  ANALYTICS_BLOCK_MS: milliseconds(2000, 10),
  /** Events read by a consumer that died are taken over after this idle time. @defaultValue 60000 */
  ANALYTICS_CLAIM_IDLE_MS: milliseconds(60_000, 100),
  /** Search backend (the same variables as the offers service): Elasticsearch when ELASTICSEARCH_URL is set. */
  ...searchEnv,
  /** How often the search indexer polls the outbox besides reacting to each commit's notification (replays what a crashed indexer left). @defaultValue 1000 */
  SEARCH_OUTBOX_POLL_MS: milliseconds(1000, 50),
  /** Outbox changes applied per bulk request. @defaultValue 500 */
  SEARCH_OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
};

export type WorkersConfig = z.infer<z.ZodObject<typeof workersEnv>>;

export function loadWorkersConfig(env: Env = process.env): WorkersConfig {
  return loadConfig(workersEnv, env);
}

/** Concurrency of one queue: per-queue variable, else WORKER_CONCURRENCY, else the default. */
export function concurrencyOf(config: WorkersConfig, queue: QueueName): number {
  const perQueue = (config as Record<string, unknown>)[concurrencyVariable(queue)];
  return (typeof perQueue === "number" ? perQueue : undefined) ?? config.WORKER_CONCURRENCY ?? defaultConcurrency[queue];
}

/**
 * The contract between services that enqueue work and the BullMQ worker pool.
 *
 * Every platform job is a row in jobs.jobs (the source of truth for status, progress, result and
 * error) and a BullMQ job whose BullMQ id IS the row id, so adding the same row twice is a no-op
 * (the outbox relay may retry an add). The BullMQ payload carries only the row id (and a trace context): workers read
 * the rest from Postgres and move the row's status with guarded SQL updates. Every statement on
 * jobs.jobs is in `@agora/platform/job-store`.
 */
import type { Db } from "./database.js";
import type { TraceCarrier } from "./tracing.js";

export const queueNames = {
  imageProcessing: "image-processing",
  analytics: "analytics",
  moderation: "moderation",
  searchIndex: "search-index",
  maintenance: "maintenance",
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

/** Which queue processes each Job.type. */
export const queueForJobType: Record<Db.JobType, QueueName> = {
  IMAGE_PROCESSING: queueNames.imageProcessing,
  ANALYTICS_REPORT: queueNames.analytics,
  ANALYTICS_ROLLUP: queueNames.analytics,
  MODERATION: queueNames.moderation,
  SEARCH_REINDEX: queueNames.searchIndex,
  MAINTENANCE: queueNames.maintenance,
  NOOP: queueNames.maintenance,
};

/** Name of the custom BullMQ backoff the workers register: exponential with jitter. */
export const backoffStrategyName = "exponential-jitter";

/**
 * End of an ANALYTICS_REPORT range from its input `to`: a date-only value (YYYY-MM-DD) means
 * "through that day", anything else is the instant itself. The jobs service validates with it and
 * the analytics worker reads with it, so both agree on what a range covers.
 */
export function reportRangeEnd(to: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(to) ? new Date(Date.parse(to) + 86_400_000) : new Date(to);
}

/** BullMQ payload of every platform job. */
export interface PlatformJobData {
  jobId: string;
  /** The outbox relay's trace context (child of the creating request's): the worker's span continues it. */
  trace?: TraceCarrier;
}

/**
 * BullMQ priority: 1 is highest. Job.priority is 0..10 with 10 most urgent; BullMQ has no
 * priority 0 ("no priority" jobs run before prioritised ones), so map onto 1..11.
 */
export const bullPriority = (priority: number) => 11 - Math.max(0, Math.min(10, priority));

/** Redis key prefix for BullMQ, under the platform prefix so tests can isolate runs. */
export const bullPrefix = (redisKeyPrefix: string) => `${redisKeyPrefix}bull`;

/**
 * Recurring work runs as BullMQ job schedulers, not as a cron inside each process: the scheduler
 * lives in Redis and produces one job per slot, which exactly one worker takes, however many worker
 * processes run. Every process upserts the same schedulers at start (idempotent; the last start's
 * intervals win). Scheduled jobs are BullMQ-only (`{ task }`, no jobs.jobs row).
 */
import type { Job, Queue } from "bullmq";
import { queueNames, type QueueName } from "@agora/platform/queues";
import { exponentialJitter } from "./backoff.js";
import type { WorkersConfig } from "./config.js";
import type { WorkerDeps } from "./deps.js";
import { rollUpDailyStats } from "@agora/jobs/analytics";
import { runCleanup } from "./processors/maintenance.js";

export const scheduledTaskNames = ["analytics-rollup", "maintenance-cleanup"] as const;
export type ScheduledTaskName = (typeof scheduledTaskNames)[number];

export interface ScheduledTaskData {
  task: ScheduledTaskName;
}

export const isScheduledTaskData = (data: unknown): data is ScheduledTaskData =>
  scheduledTaskNames.includes((data as ScheduledTaskData | null)?.task as ScheduledTaskName);

interface ScheduleDefinition {
  task: ScheduledTaskName;
  queue: QueueName;
  every: (config: WorkersConfig) => number;
}

export const schedules: ScheduleDefinition[] = [
  { task: "analytics-rollup", queue: queueNames.analytics, every: (config) => config.ANALYTICS_ROLLUP_EVERY_MS },
  { task: "maintenance-cleanup", queue: queueNames.maintenance, every: (config) => config.MAINTENANCE_EVERY_MS },
];

/** Redis hash with `<task>:runs`, `<task>:lastRunAt`, `<task>:lastJobId` (shown by GET /health). */
export const scheduleStatsKey = (prefix: string) => `${prefix}workers:schedules`;

/** Creates or updates the schedulers of the queues this process consumes; an interval of 0 removes one. */
export async function upsertSchedules(queues: Map<QueueName, Queue>, config: WorkersConfig): Promise<Record<string, number>> {
  const active: Record<string, number> = {};
  for (const schedule of schedules) {
    const queue = queues.get(schedule.queue);
    if (!queue) continue;
    const every = schedule.every(config);
    if (every <= 0) {
      await queue.removeJobScheduler(schedule.task);
      continue;
    }
    await queue.upsertJobScheduler(
      schedule.task,
      { every },
      {
        name: schedule.task,
        data: { task: schedule.task } satisfies ScheduledTaskData,
        opts: {
          attempts: 2,
          backoff: { type: exponentialJitter, delay: 1000 },
          removeOnComplete: { count: 100 },
          removeOnFail: { count: 100 },
        },
      },
    );
    active[schedule.task] = every;
  }
  return active;
}

export async function runScheduledTask(job: Job<ScheduledTaskData>, deps: WorkerDeps): Promise<Record<string, unknown>> {
  const { task } = job.data;
  let result: Record<string, unknown>;
  switch (task) {
    case "analytics-rollup":
      result = await rollUpDailyStats(deps.prisma);
      break;
    case "maintenance-cleanup":
      result = await runCleanup(deps, "cleanup");
      break;
  }
  const key = scheduleStatsKey(deps.config.REDIS_KEY_PREFIX);
  await deps.redis
    .multi()
    .hincrby(key, `${task}:runs`, 1)
    .hset(key, `${task}:lastRunAt`, new Date().toISOString(), `${task}:lastJobId`, job.id ?? "")
    .exec();
  deps.log.info({ task, jobId: job.id, result }, "scheduled task done");
  return result;
}

/**
 * The /metrics of one worker process: queue depth per queue and state, how long jobs waited before
 * a worker took them, how long processing took and how it ended, dead letters, Postgres pool use,
 * whether Redis and Postgres answer, and the default process metrics.
 *
 * Depths are read from Redis at scrape time for every platform queue (consumed here or not), so
 * every worker process reports the same depths: dashboards and alerts take `max by (queue, state)`.
 * Wait and processing times are observed by the process that ran the job, so they add up across
 * processes.
 */
import type { Job, Queue, Worker } from "bullmq";
import { Counter, Gauge, Histogram } from "prom-client";
import { createMetrics, registerDependencyProbe, withTimeout, type Metrics } from "@agora/platform";
import { registerDatabaseMetrics } from "@agora/platform/database";
import type { QueueName } from "@agora/platform/queues";
import type { WorkerDeps } from "../deps.js";

/** Seconds: from a few milliseconds (moderation) to minutes (a report, a reindex, a long backlog). */
const jobBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Longest wait for the queue counts of one scrape (below Prometheus's 10 s scrape timeout). */
const countTimeoutMs = 2000;

export interface WorkerMetrics {
  metrics: Metrics;
  /** Observes the jobs `worker` (consuming `queue`) takes, finishes and fails. */
  observe(worker: Worker, queue: QueueName): void;
}

export function createWorkerMetrics(deps: WorkerDeps, queues: Map<QueueName, Queue>): WorkerMetrics {
  const metrics = createMetrics("workers");
  const { registry } = metrics;
  registerDatabaseMetrics(registry, deps.db);
  registerDependencyProbe(registry, "postgresql", () => deps.prisma.$queryRawUnsafe("SELECT 1"));
  registerDependencyProbe(registry, "redis", () => deps.redis.ping());

  new Gauge({
    name: "agora_queue_jobs",
    help: "Jobs in a BullMQ queue, by queue and state (waiting, active, delayed, failed)",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      await Promise.all(
        [...queues].map(async ([queue, bull]) => {
          const counts = await withTimeout(
            bull.getJobCounts("waiting", "prioritized", "active", "delayed", "failed"),
            countTimeoutMs,
            "Redis",
          ).catch(() => null);
          // Redis down: no depth is better than a stale one (agora_dependency_up says why).
          if (!counts) return;
          // Platform jobs always carry a priority, so BullMQ keeps them in "prioritized" until they run.
          this.set({ queue, state: "waiting" }, (counts.waiting ?? 0) + (counts.prioritized ?? 0));
          this.set({ queue, state: "active" }, counts.active ?? 0);
          this.set({ queue, state: "delayed" }, counts.delayed ?? 0);
          this.set({ queue, state: "failed" }, counts.failed ?? 0);
        }),
      );
    },
  });
  const wait = new Histogram({
    name: "agora_queue_job_wait_seconds",
    help: "Time from a job being ready to run (added, or its delay over) until a worker took it, first attempts only",
    labelNames: ["queue"],
    buckets: jobBuckets,
    registers: [registry],
  });
  const processing = new Histogram({
    name: "agora_queue_job_processing_seconds",
    help: "Time a worker spent on one attempt of a job, by queue and outcome (completed, failed)",
    labelNames: ["queue", "outcome"],
    buckets: jobBuckets,
    registers: [registry],
  });
  const processed = new Counter({
    name: "agora_queue_jobs_processed_total",
    help: "Job attempts finished by this process, by queue and outcome (completed, failed)",
    labelNames: ["queue", "outcome"],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: "agora_queue_dead_letters_total",
    help: "Jobs that failed their last attempt (or stalled too often) and went to the dead-letter list",
    labelNames: ["queue"],
    registers: [registry],
  });

  const attemptSeconds = (job: Job) => (job.processedOn && job.finishedOn ? Math.max(0, job.finishedOn - job.processedOn) / 1000 : null);

  return {
    metrics,
    observe(worker, queue) {
      // Zero series from the start: rate() and increase() need a sample before the first event.
      for (const outcome of ["completed", "failed"]) processed.inc({ queue, outcome }, 0);
      deadLetters.inc({ queue }, 0);
      worker.on("active", (job) => {
        // Later attempts waited for their backoff on purpose; that is not queueing delay.
        if (job.attemptsMade > 0 || !job.processedOn) return;
        wait.observe({ queue }, Math.max(0, job.processedOn - job.timestamp - (job.delay ?? 0)) / 1000);
      });
      worker.on("completed", (job) => {
        processed.inc({ queue, outcome: "completed" });
        const seconds = attemptSeconds(job);
        if (seconds !== null) processing.observe({ queue, outcome: "completed" }, seconds);
      });
      worker.on("failed", (job) => {
        processed.inc({ queue, outcome: "failed" });
        if (!job) return;
        const seconds = attemptSeconds(job);
        if (seconds !== null) processing.observe({ queue, outcome: "failed" }, seconds);
        // BullMQ sets finishedOn only when no retry follows: the job is dead-lettered now.
        if (job.finishedOn) deadLetters.inc({ queue });
      });
    },
  };
}

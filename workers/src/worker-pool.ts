/**
 * One worker process: checks its dependencies (Redis reachable and never evicting, Postgres
 * reachable), runs one BullMQ Worker per consumed queue, upserts the job schedulers, drains the
 * analytics stream, and serves GET /health. `close()` is the graceful path of SIGTERM.
 */
import { mkdir } from "node:fs/promises";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { bullPrefix, queueNames, type QueueName } from "@agora/platform/queues";
import { checkPostgres, checkRedis } from "@agora/platform/subgraph";
import { createDatabase } from "@agora/platform/database";
import { cacheTags, createCacheInvalidator, createRedis, type Logger, type RunningServer } from "@agora/platform";
import { JobStore } from "@agora/platform/job-store";
import { createSearchBackend, startSearchIndexer, type SearchIndexer } from "@agora/offers/search";
import { publishJobState } from "@agora/platform/live-events";
import { createAuditRecorder } from "@agora/platform/audit-events";
import { directAuditWriter } from "@agora/platform/audit";
import { startEventDrain, type EventDrain } from "./analytics/event-drain.js";
import { backoffStrategy } from "./backoff.js";
import { concurrencyOf, type WorkersConfig } from "./config.js";
import type { WorkerDeps } from "./deps.js";
import { startHealthServer } from "./health-server.js";
import { createWorkerMetrics } from "./metrics/worker-metrics.js";
import { isPlatformJobData } from "./platform-job.js";
import { createProcessor } from "./processors/index.js";
import { assertNoEviction } from "./redis-policy.js";
import { upsertSchedules } from "./schedules.js";

export interface WorkerPool {
  healthUrl: string;
  /** GET /metrics of this process (Prometheus). */
  metricsUrl: string;
  consumes: Record<string, number>;
  schedules: Record<string, number>;
  /** Stops taking jobs, waits for active ones (up to WORKER_SHUTDOWN_TIMEOUT_MS), releases connections. Resolves false on timeout. */
  close(): Promise<boolean>;
}

export async function startWorkerPool(config: WorkersConfig, log: Logger): Promise<WorkerPool> {
  // Fails fast (one retry) so checks and /health answer instead of waiting for Redis forever.
  const redis = createRedis(config.REDIS_URL, { lazyConnect: true });
  const cleanups: (() => Promise<unknown>)[] = [async () => redis.disconnect()];
  const release = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await redis.connect().catch(() => undefined);
    await checkRedis(redis, config.REDIS_URL);
    await assertNoEviction(redis, config.REDIS_URL);

    const db = createDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, applicationName: "agora-workers" });
    cleanups.push(() => db.disconnect());
    await checkPostgres(db, config.DATABASE_URL);
    await mkdir(config.STORAGE_DIR, { recursive: true });

    const search = createSearchBackend(config, log);
    cleanups.push(() => search.close());
    // Into the stream this pool drains, like every service; straight to Postgres while Redis is down.
    const audit = createAuditRecorder({
      redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      service: "workers",
      log,
      fallback: directAuditWriter(db.primary),
    });
    cleanups.push(() => audit.close());
    const deps: WorkerDeps = {
      config,
      db,
      prisma: db.primary,
      redis,
      jobs: new JobStore({ db: db.primary }),
      search,
      log,
      live: { redis, keyPrefix: config.REDIS_KEY_PREFIX, log },
      audit,
      cache: createCacheInvalidator({ redis, keyPrefix: config.REDIS_KEY_PREFIX, log }),
    };
    const prefix = bullPrefix(config.REDIS_KEY_PREFIX);

    // BullMQ's blocking reads must wait as long as it takes: no per-request retry limit on this one.
    const bullConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    cleanups.push(async () => bullConnection.disconnect());
    const queues = new Map<QueueName, Queue>();
    for (const name of Object.values(queueNames)) queues.set(name, new Queue(name, { connection: redis, prefix }));
    cleanups.push(() => Promise.all([...queues.values()].map((queue) => queue.close())));

    const workerMetrics = createWorkerMetrics(deps, queues);
    const processor = createProcessor(deps);
    const consumes: Record<string, number> = {};
    const workers: Worker[] = [];
    for (const name of config.WORKER_QUEUES) {
      const concurrency = concurrencyOf(config, name);
      consumes[name] = concurrency;
      const worker = new Worker(name, processor, {
        connection: bullConnection,
        prefix,
        concurrency,
        lockDuration: config.WORKER_LOCK_DURATION_MS,
        stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
        settings: { backoffStrategy },
      });
      workerMetrics.observe(worker, name);
      worker.on("error", (error) => log.error({ err: error, queue: name }, "worker error"));
      worker.on("stalled", (jobId) => log.warn({ queue: name, jobId }, "stalled job re-delivered (its worker died or was blocked)"));
      worker.on("failed", (job, error) => {
        // Failures outside the processor (a job that stalled more than WORKER_MAX_STALLED_COUNT
        // times is failed by BullMQ without running it) must still end the row; for failures of
        // the processor this is a no-op, the row is FAILED already. finishedOn: no retry follows.
        if (!job?.finishedOn || !isPlatformJobData(job.data)) return;
        deps.jobs
          .fail(job.data.jobId, error.message)
          .then((failed) => (failed ? publishJobState(deps.live, deps.prisma, job.data.jobId) : undefined))
          .catch((rowError: unknown) => log.error({ err: rowError, jobId: job.id }, "could not mark the job row FAILED"));
      });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));

    const activeSchedules = await upsertSchedules(new Map([...queues].filter(([name]) => config.WORKER_QUEUES.includes(name))), config);

    let drain: EventDrain | null = null;
    if (config.WORKER_QUEUES.includes(queueNames.analytics)) {
      const drainConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
      drain = await startEventDrain(deps, drainConnection);
      cleanups.push(async () => drainConnection.disconnect());
    }

    // The search outbox is applied by the processes that consume the search-index queue.
    let indexer: SearchIndexer | null = null;
    if (config.WORKER_QUEUES.includes(queueNames.searchIndex)) {
      indexer = await startSearchIndexer({
        db: db.primary,
        databaseUrl: config.DATABASE_URL,
        // Postgres search reads the tables, fresh as soon as the write's own invalidation went out;
        // an external index changes later, so its cached search answers are retired once it has.
        backend:
          search.name === "postgres"
            ? search
            : {
                name: search.name,
                applyChanges: async (offers, removed) => {
                  await search.applyChanges(offers, removed);
                  await deps.cache.invalidate([cacheTags.list("searchOffers")]);
                },
              },
        log,
        pollMs: config.SEARCH_OUTBOX_POLL_MS,
        batchSize: config.SEARCH_OUTBOX_BATCH_SIZE,
      });
    }

    const health: RunningServer = await startHealthServer(
      {
        deps,
        queues,
        consumed: consumes,
        schedules: activeSchedules,
        drained: () => drain?.drained() ?? null,
        audited: () => drain?.audited() ?? null,
        metrics: workerMetrics.metrics,
        searchIndex: indexer ? { backend: search.name, lag: indexer.lag, applied: indexer.applied } : null,
      },
      config.WORKER_HEALTH_PORT,
      config.WORKER_HEALTH_HOST,
    );

    let closing: Promise<boolean> | null = null;
    const close = async (): Promise<boolean> => {
      let finished = true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), config.WORKER_SHUTDOWN_TIMEOUT_MS);
      });
      const outcome = await Promise.race([Promise.all(workers.map((worker) => worker.close())), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        finished = false;
        log.warn(
          { timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS },
          "active jobs did not finish in time; they will be re-delivered by the stalled-job check",
        );
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      await drain?.stop();
      await indexer?.stop();
      await health.close();
      await release();
      return finished;
    };
    return {
      healthUrl: `${health.url}/health`,
      metricsUrl: `${health.url}/metrics`,
      consumes,
      schedules: activeSchedules,
      close: () => (closing ??= close()),
    };
  } catch (error) {
    await release();
    throw error;
  }
}

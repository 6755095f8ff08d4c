/**
 * The transactional outbox relay: nothing is lost at enqueue.
 *
 * Every job row is committed with `enqueued_at` NULL in the same transaction that creates it. The
 * relay locks a batch of such PENDING rows (`FOR UPDATE SKIP LOCKED`, so several relays in several
 * processes share the work without waiting on each other), adds each to the BullMQ queue of its
 * type with the row id as BullMQ job id (a second add of the same id is a no-op), and sets
 * `enqueued_at` in the same transaction (the statements are the job store's `deliverOutbox`). If
 * Redis is down the adds fail or time out, the transaction commits nothing, and the rows are
 * picked up by a later pass once Redis is back.
 *
 * The job store calls `trigger()` right after each commit (`submitJobs`, `retry`), so a job is queued without waiting for the
 * poll; the poll (OUTBOX_POLL_MS) catches everything else (Redis outages, other processes' rows,
 * crashes between commit and trigger).
 */
import { backoffStrategyName, bullPriority } from "@agora/platform/queues";
import { currentTraceCarrier, requestIdOfCarrier, runInSpan, withTimeout, type Logger } from "@agora/platform";
import type { JobStore, OutboxEntry } from "@agora/platform/job-store";
import type { JobsOptions } from "bullmq";
import type { JobQueues, PlatformQueue } from "../queue/job-queues.js";

/** Name of the custom backoff strategy the workers register in their Worker settings. */
export { backoffStrategyName };

export interface OutboxRelayOptions {
  /** The owner of jobs.jobs: locks undelivered rows and marks them enqueued. */
  jobs: JobStore;
  queues: JobQueues;
  log: Logger;
  /** Base delay of the retry backoff (JOB_BACKOFF_MS). @defaultValue 1000 */
  backoffMs?: number;
  /** Interval between polls (OUTBOX_POLL_MS). @defaultValue 1000 */
  pollMs?: number;
  /** Longest wait for Redis in one batch (OUTBOX_REDIS_TIMEOUT_MS). @defaultValue 5000 */
  redisTimeoutMs?: number;
  /** Rows locked per batch. @defaultValue 100 */
  batchSize?: number;
}

export interface RelayPassResult {
  /** Rows marked as enqueued in this pass. */
  queued: number;
  /** Rows that could not be delivered (Redis unreachable, previous run still active): they wait. */
  deferred: number;
}

/** BullMQ options of a platform job (exported so tests and tools add jobs the same way). */
export function bullJobOptions(row: { id: string; priority: number; maxAttempts: number }, backoffMs: number): JobsOptions {
  return {
    jobId: row.id,
    priority: bullPriority(row.priority),
    attempts: row.maxAttempts,
    backoff: { type: backoffStrategyName, delay: backoffMs },
    // Postgres keeps the history (status, result, dead letters); Redis only needs recent jobs.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

export class OutboxRelay {
  private readonly backoffMs: number;
  private readonly pollMs: number;
  private readonly redisTimeoutMs: number;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RelayPassResult> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly options: OutboxRelayOptions) {
    this.backoffMs = options.backoffMs ?? 1000;
    this.pollMs = options.pollMs ?? 1000;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 5000;
    this.batchSize = options.batchSize ?? 100;
  }

  /** Starts polling (and runs a first pass at once). */
  start(): void {
    this.stopped = false;
    const tick = () => {
      this.trigger();
      this.timer = setTimeout(tick, this.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.again = false;
    await this.running?.catch(() => undefined);
  }

  /** Runs a pass as soon as possible; never throws (failures are logged and retried by the poll). */
  trigger(): void {
    void this.runOnce().catch((error: unknown) => this.options.log.error({ err: error }, "outbox relay pass failed"));
  }

  /**
   * Delivers every undelivered PENDING row, batch after batch. Concurrent calls in one process
   * share the pass in progress and schedule one more after it (rows committed meanwhile).
   */
  runOnce(): Promise<RelayPassResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const total: RelayPassResult = { queued: 0, deferred: 0 };
      try {
        // While Redis is unreachable no rows are locked at all, so a relay cut off from Redis
        // (one process of several) never keeps rows from the relays that can deliver them.
        if (!(await this.options.queues.waitUntilConnected(this.redisTimeoutMs))) return total;
        do {
          this.again = false;
          for (;;) {
            const batch = await this.runBatch();
            total.queued += batch.queued;
            total.deferred += batch.deferred;
            // A full batch that went through may have more behind it; a deferred row means
            // Redis is struggling, so leave the rest to the next poll.
            if (batch.locked < this.batchSize || batch.deferred > 0 || this.stopped) break;
          }
        } while (this.again && total.deferred === 0 && !this.stopped);
      } finally {
        this.running = null;
      }
      return total;
    })();
    return this.running;
  }

  private async runBatch(): Promise<RelayPassResult & { locked: number }> {
    const batch = await this.options.jobs.deliverOutbox(this.batchSize, (entries) => this.deliverAll(entries), {
      timeoutMs: this.redisTimeoutMs + 15_000,
    });
    return { locked: batch.locked, queued: batch.enqueued, deferred: batch.locked - batch.enqueued };
  }

  /** Adds every entry to BullMQ within the Redis timeout; returns the ids that are in their queue afterwards. */
  private async deliverAll(entries: OutboxEntry[]): Promise<string[]> {
    try {
      const outcomes = await withTimeout(
        Promise.allSettled(entries.map((entry) => this.deliver(entry))),
        this.redisTimeoutMs,
        "Redis (BullMQ add)",
      );
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failure) this.options.log.warn({ err: failure.reason }, "some jobs could not be queued; they stay in the outbox");
      return entries
        .filter((_, i) => {
          const outcome = outcomes[i];
          return outcome?.status === "fulfilled" && outcome.value;
        })
        .map((entry) => entry.id);
    } catch (error) {
      this.options.log.warn({ err: error, rows: entries.length }, "Redis did not answer; jobs stay in the outbox until it does");
      return [];
    }
  }

  /**
   * Adds one row to its queue. True when the job is in the queue afterwards. A BullMQ job with the
   * same id that already finished (the row was retried, or cancelled while Redis was away and
   * skipped by a worker) is replaced; one still active is left alone and the row waits.
   */
  private deliver(row: OutboxEntry): Promise<boolean> {
    const queue = this.options.queues.forType(row.type);
    // A PRODUCER span in the trace of the request that created the row (stored with it), however
    // long ago that was; the BullMQ job carries this span's context to the worker.
    const attributes = { "messaging.system": "bullmq", "messaging.destination.name": queue.name, "messaging.message.id": row.id };
    return runInSpan(`publish ${queue.name}`, { kind: "producer", parent: row.traceContext, attributes }, () => this.add(queue, row));
  }

  private async add(queue: PlatformQueue, row: OutboxEntry): Promise<boolean> {
    const state = await queue.getJobState(row.id);
    switch (state) {
      case "active":
        return false;
      case "completed":
      case "failed":
        if ((await queue.remove(row.id)) !== 1) return false;
        break;
      case "unknown":
        break;
      default:
        // waiting, prioritized, delayed, waiting-children: already queued by an earlier pass whose
        // commit did not happen.
        return true;
    }
    const trace = currentTraceCarrier(requestIdOfCarrier(row.traceContext));
    await queue.add(row.type, trace ? { jobId: row.id, trace } : { jobId: row.id }, bullJobOptions(row, this.backoffMs));
    return true;
  }
}

/**
 * The one owner of jobs.jobs: every statement on the table is in this file, whoever runs it (the
 * jobs service's resolvers, REST routes and outbox relay, the workers, the reviews service queueing
 * a MODERATION job in its own transaction). Status changes are the guarded UPDATEs of
 * job-lifecycle.ts: each one applies only to a row in one of its source statuses, so two processes
 * moving the same row at the same moment can never overwrite each other, and a refused change
 * (false or null) writes nothing.
 *
 * Style: state changes are plain SQL, side by side, so the guards read like the table they come
 * from; reads and inserts go through Prisma's typed API, which maps rows to `Db.Job`.
 */
import { randomUUID } from "node:crypto";
import type { Db, Prisma, PrismaClient } from "../database.js";
import { afterKeyWhere, newestFirst, toConnection, type Connection, type Page } from "../pagination.js";
import { sourceStatuses } from "./job-lifecycle.js";
import { MicroBatch } from "./micro-batch.js";
import { currentRequestId } from "../request-scope.js";
import { currentTraceCarrier } from "../tracing.js";

export type JobRow = Db.Job;

/** A client or the caller's open transaction: inserts can join a business write. */
export type JobStoreClient = PrismaClient | Prisma.TransactionClient;

export interface NewJob {
  /** Chosen by the caller when something is named after the job (an upload's file); else generated. */
  id?: string;
  type: Db.JobType;
  input: Prisma.InputJsonObject;
  /** The user on whose behalf the job runs (owner of the row). */
  requestedBy: string;
  /** 0..10, 10 most urgent. @defaultValue 5 */
  priority?: number;
  /** @defaultValue 3 */
  maxAttempts?: number;
}

export interface JobListFilter {
  /** Only this user's jobs; undefined for everyone's (admins). */
  requestedBy?: string | undefined;
  status?: Db.JobStatus | null | undefined;
  type?: Db.JobType | null | undefined;
  createdFrom?: Date | null | undefined;
  createdTo?: Date | null | undefined;
  /** Only jobs in the dead-letter list. @defaultValue false */
  deadLettered?: boolean;
}

/** A row as a worker starts it. */
export interface StartedJob {
  id: string;
  type: Db.JobType;
  input: unknown;
  requestedBy: string;
  /** Starts of this row so far, this one included. */
  attempts: number;
  maxAttempts: number;
}

/** What the outbox relay needs to add a row to BullMQ. */
export interface OutboxEntry {
  id: string;
  type: Db.JobType;
  priority: number;
  maxAttempts: number;
  /** The creating (or retrying) request's trace context and request id (a TraceCarrier), or null. */
  traceContext: unknown;
}

export interface OutboxBatchResult {
  /** Rows locked in this batch. */
  locked: number;
  /** Rows marked as enqueued. */
  enqueued: number;
}

export interface JobStoreOptions {
  /** The primary database: every write, and the reads that decide on current state. */
  db: PrismaClient;
  /**
   * Called after `submitJobs` and `retry` commit, so the outbox relay queues the job without
   * waiting for its poll. @defaultValue none (the relay's poll picks the rows up)
   */
  wake?: () => void;
}

/** The longest error text kept on a row. */
const maxErrorLength = 2000;
const errorText = (message: string) => message.slice(0, maxErrorLength);

/**
 * The trace context of the request that creates (or retries) a job, so the worker continues its
 * trace however long the row waits in the outbox; null outside a request with tracing off.
 */
const traceContextNow = () => currentTraceCarrier(currentRequestId());

const insertData = (job: NewJob) => ({
  traceContext: (traceContextNow() as Prisma.InputJsonObject | null) ?? undefined,
  id: job.id ?? randomUUID(),
  type: job.type,
  input: job.input,
  requestedBy: job.requestedBy,
  priority: job.priority ?? 5,
  maxAttempts: job.maxAttempts ?? 3,
  status: "PENDING" as const,
  enqueuedAt: null,
});

/** A PrismaClient can open a transaction of its own; a TransactionClient (the caller's open transaction) cannot. */
const isRootClient = (db: JobStoreClient): db is PrismaClient => "$transaction" in db;

/**
 * Inserts jobs PENDING with `enqueued_at` NULL (each row is its own outbox entry, so a committed job
 * is always queued eventually), in one statement, inside `db` when it is the caller's transaction.
 * Returns the rows in input order. Use `JobStore.submitJobs` when there is no business write to
 * join: it also wakes the relay.
 */
export async function insertJobs(db: JobStoreClient, jobs: readonly NewJob[]): Promise<JobRow[]> {
  if (jobs.length === 0) return [];
  const data = jobs.map(insertData);
  const rows = isRootClient(db)
    ? await db.$transaction(async (tx) => tx.job.createManyAndReturn({ data }))
    : await db.job.createManyAndReturn({ data });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return data.map((job) => {
    const row = byId.get(job.id);
    if (!row) throw new Error(`Job ${job.id} was inserted but not returned.`);
    return row;
  });
}

type BatchedTransition = { kind: "start"; id: string } | { kind: "complete"; id: string; result: unknown };
type BatchedOutcome = StartedJob | null | boolean;

interface BatchedRow {
  kind: "start" | "complete";
  id: string;
  type: Db.JobType | null;
  input: unknown;
  requested_by: string | null;
  attempts: number | null;
  max_attempts: number | null;
}

interface OutboxRow {
  id: string;
  type: Db.JobType;
  priority: number;
  max_attempts: number;
  trace_context: unknown;
}

export class JobStore {
  private readonly db: PrismaClient;
  private readonly wake: () => void;
  /**
   * Start and complete, the two transitions every job makes, are batched per event-loop turn into
   * ONE statement (two data-modifying CTEs over `id = ANY(...)`): each row still moves at most
   * once, and a worker running many jobs commits once per turn instead of twice per job.
   */
  private readonly batched: MicroBatch<BatchedTransition, BatchedOutcome>;

  constructor(options: JobStoreOptions) {
    this.db = options.db;
    this.wake = options.wake ?? (() => undefined);
    this.batched = new MicroBatch((batch) => this.runBatched(batch));
  }

  // ── Reads ─────────────────────────────────────────────────────────────────────────────────────

  /** One row; `from` is the replica for plain reads, the primary (default) when deciding on current state. */
  find(id: string, from: PrismaClient = this.db): Promise<JobRow | null> {
    return from.job.findUnique({ where: { id } });
  }

  findMany(ids: readonly string[], from: PrismaClient = this.db): Promise<JobRow[]> {
    return from.job.findMany({ where: { id: { in: [...ids] } } });
  }

  /** One page, newest first; the total is counted only when a client asks for it. */
  async list(filter: JobListFilter, page: Page, from: PrismaClient = this.db): Promise<Connection<JobRow>> {
    const where = listWhere(filter);
    const rows = await from.job.findMany({
      where: { AND: [where, afterKeyWhere(page.after)] },
      orderBy: newestFirst,
      take: page.first + 1,
    });
    return toConnection(rows, page, () => from.job.count({ where }));
  }

  /** Rows committed but not yet added to BullMQ. */
  countUndelivered(): Promise<number> {
    return this.db.job.count({ where: { enqueuedAt: null, status: "PENDING" } });
  }

  countDeadLettered(): Promise<number> {
    return this.db.job.count({ where: { deadLetteredAt: { not: null } } });
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const row = await this.db.job.findUnique({ where: { id }, select: { cancelRequested: true } });
    return row?.cancelRequested ?? false;
  }

  /**
   * Of `ids`, those whose job may still run, now or after a `retry` (every status but COMPLETED):
   * their inputs (uploads) must be kept.
   */
  async findMayRunAgain(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.job.findMany({ where: { id: { in: [...ids] }, status: { not: "COMPLETED" } }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  }

  // ── Inserts ───────────────────────────────────────────────────────────────────────────────────

  /** Inserts the jobs (see `insertJobs`) and wakes the outbox relay once they are committed. */
  async submitJobs(jobs: readonly NewJob[]): Promise<JobRow[]> {
    const rows = await insertJobs(this.db, jobs);
    this.wake();
    return rows;
  }

  // ── Transitions (job-lifecycle.ts) ────────────────────────────────────────────────────────────

  /**
   * The outbox relay's batch: locks up to `limit` undelivered PENDING rows (`FOR UPDATE SKIP
   * LOCKED`, so relays in several processes share the work without waiting on each other), hands
   * them to `deliver`, and marks the ids it returns as enqueued, all in one transaction. If
   * `deliver` throws, nothing is marked and the rows wait for a later batch.
   */
  async deliverOutbox(
    limit: number,
    deliver: (entries: OutboxEntry[]) => Promise<string[]>,
    options: { timeoutMs: number },
  ): Promise<OutboxBatchResult> {
    return this.db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text AS id, type::text AS type, priority, max_attempts, trace_context
            FROM jobs.jobs
           WHERE enqueued_at IS NULL AND status::text = ANY(${sourceStatuses("enqueue")}::text[])
           ORDER BY created_at, id
           LIMIT ${limit}
             FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return { locked: 0, enqueued: 0 };
        const delivered = await deliver(
          rows.map((row) => ({
            id: row.id,
            type: row.type,
            priority: row.priority,
            maxAttempts: row.max_attempts,
            traceContext: row.trace_context,
          })),
        );
        if (delivered.length > 0) {
          await tx.$executeRaw`
            UPDATE jobs.jobs SET enqueued_at = now(), updated_at = now()
             WHERE id = ANY(${delivered}::uuid[]) AND status::text = ANY(${sourceStatuses("enqueue")}::text[])`;
        }
        return { locked: rows.length, enqueued: delivered.length };
      },
      { maxWait: 5000, timeout: options.timeoutMs },
    );
  }

  /** `start`: the row as started, or null when it may not run (finished, cancelled, gone). Batched per turn. */
  start(id: string): Promise<StartedJob | null> {
    return this.batched.call({ kind: "start", id }) as Promise<StartedJob | null>;
  }

  /** `complete` with the handler's result; false when the row was not PROCESSING (already done). Batched per turn. */
  complete(id: string, result: unknown): Promise<boolean> {
    return this.batched.call({ kind: "complete", id, result }) as Promise<boolean>;
  }

  /** `progress`: only forward; returns whether cancellation was requested (false when not PROCESSING). */
  async progress(id: string, percent: number): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ cancel_requested: boolean }[]>`
      UPDATE jobs.jobs SET progress = GREATEST(progress, ${percent}::smallint), updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("progress")}::text[])
   RETURNING cancel_requested`;
    return rows[0]?.cancel_requested ?? false;
  }

  /** `attemptFailed`: back to PENDING for BullMQ's next attempt, the error kept for the client to see. */
  async attemptFailed(id: string, message: string): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs SET status = 'PENDING', error = ${errorText(message)}, updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("attemptFailed")}::text[])`;
    return count === 1;
  }

  /** `fail`: FAILED with the error, and into the dead-letter list (dead_lettered_at) until `retry`. */
  async fail(id: string, message: string): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs
         SET status = 'FAILED', error = ${errorText(message)}, finished_at = now(), dead_lettered_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("fail")}::text[])`;
    return count === 1;
  }

  /** `cancel`: a job not started yet ends CANCELLED at once (a worker that still gets it skips it). */
  async cancel(id: string): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs SET status = 'CANCELLED', cancel_requested = true, finished_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("cancel")}::text[])`;
    return count === 1;
  }

  /** `requestCancel`: asks the worker running the job to stop (it checks between steps). */
  async requestCancel(id: string): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs SET cancel_requested = true, updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("requestCancel")}::text[])`;
    return count === 1;
  }

  /** `cancelled`: a worker ends a row whose cancellation was requested. */
  async cancelled(id: string): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs SET status = 'CANCELLED', finished_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("cancelled")}::text[]) AND cancel_requested`;
    return count === 1;
  }

  /** `retry`: a clean slate, back in the outbox; wakes the relay. */
  async retry(id: string): Promise<boolean> {
    // The run after a retry belongs to the retrying request's trace.
    const traceContext = traceContextNow();
    const count = await this.db.$executeRaw`
      UPDATE jobs.jobs
         SET status = 'PENDING', attempts = 0, progress = 0, error = NULL, result = NULL, cancel_requested = false,
             trace_context = ${traceContext === null ? null : JSON.stringify(traceContext)}::jsonb,
             started_at = NULL, finished_at = NULL, dead_lettered_at = NULL, enqueued_at = NULL, updated_at = now()
       WHERE id = ${id}::uuid AND status::text = ANY(${sourceStatuses("retry")}::text[])`;
    if (count === 1) this.wake();
    return count === 1;
  }

  private async runBatched(batch: BatchedTransition[]): Promise<BatchedOutcome[]> {
    const startIds = batch.filter((t) => t.kind === "start").map((t) => t.id);
    const completions = batch.filter((t): t is Extract<BatchedTransition, { kind: "complete" }> => t.kind === "complete");
    // One statement must not update a row twice; a row both completing and starting again in one
    // turn (never with BullMQ id == row id) is split: completions first.
    if (completions.some((c) => startIds.includes(c.id))) {
      const done = await this.runBatched(completions);
      const started = await this.runBatched(batch.filter((t) => t.kind === "start"));
      let c = 0;
      let s = 0;
      return batch.map((t) => (t.kind === "complete" ? (done[c++] ?? false) : (started[s++] ?? null)));
    }
    const completeIds = completions.map((c) => c.id);
    const results = completions.map((c) => JSON.stringify(c.result ?? null));
    const rows = await this.db.$queryRaw<BatchedRow[]>`
      WITH started AS (
        UPDATE jobs.jobs
           SET status = 'PROCESSING', started_at = now(), attempts = attempts + 1, updated_at = now()
         WHERE id = ANY(${startIds}::uuid[]) AND status::text = ANY(${sourceStatuses("start")}::text[]) AND NOT cancel_requested
     RETURNING id::text, type::text, input, requested_by::text, attempts, max_attempts
      ), completed AS (
        UPDATE jobs.jobs AS j
           SET status = 'COMPLETED', progress = 100, result = v.result, error = NULL, finished_at = now(), updated_at = now()
          FROM unnest(${completeIds}::uuid[], ${results}::jsonb[]) AS v(id, result)
         WHERE j.id = v.id AND j.status::text = ANY(${sourceStatuses("complete")}::text[])
     RETURNING j.id::text
      )
      SELECT 'start' AS kind, id, type, input, requested_by, attempts, max_attempts FROM started
      UNION ALL
      SELECT 'complete', id, NULL, NULL, NULL, NULL, NULL FROM completed`;
    const started = new Map<string, BatchedRow>();
    const completed = new Set<string>();
    for (const row of rows) {
      if (row.kind === "start") started.set(row.id, row);
      else completed.add(row.id);
    }
    return batch.map((t) => {
      if (t.kind === "complete") return completed.delete(t.id);
      const row = started.get(t.id);
      // The same id twice in one batch (never with BullMQ id == row id): only the first caller runs it.
      if (!row || row.type === null || row.requested_by === null || row.attempts === null || row.max_attempts === null) return null;
      started.delete(t.id);
      return {
        id: row.id,
        type: row.type,
        input: row.input,
        requestedBy: row.requested_by,
        attempts: row.attempts,
        maxAttempts: row.max_attempts,
      };
    });
  }
}

function listWhere(filter: JobListFilter): Prisma.JobWhereInput {
  const createdAt: Prisma.DateTimeFilter = {};
  if (filter.createdFrom) createdAt.gte = filter.createdFrom;
  if (filter.createdTo) createdAt.lt = filter.createdTo;
  return {
    ...(filter.requestedBy ? { requestedBy: filter.requestedBy } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.type ? { type: filter.type } : {}),
    ...(filter.createdFrom || filter.createdTo ? { createdAt } : {}),
    ...(filter.deadLettered ? { deadLetteredAt: { not: null } } : {}),
  };
}

/** Outbox and dead-letter figures for /metrics (outbox-metrics.ts). */
export interface OutboxStats {
  /** Rows committed but not yet added to BullMQ. */
  backlog: number;
  /** Age of the oldest such row; 0 when there is none. */
  oldestAgeSeconds: number;
  /** Rows in the dead-letter list. */
  deadLetters: number;
}

/** One read-only statement whose filters are indexed, so a scrape stays cheap however large the table. */
export async function readOutboxStats(db: PrismaClient): Promise<OutboxStats> {
  const rows = await db.$queryRaw<{ backlog: bigint; oldest_age_seconds: number | null; dead_letters: bigint }[]>`
    SELECT
      (SELECT count(*) FROM jobs.jobs WHERE enqueued_at IS NULL AND status = 'PENDING') AS backlog,
      (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM jobs.jobs
         WHERE enqueued_at IS NULL AND status = 'PENDING') AS oldest_age_seconds,
      (SELECT count(*) FROM jobs.jobs WHERE dead_lettered_at IS NOT NULL) AS dead_letters`;
  const row = rows[0];
  return {
    backlog: Number(row?.backlog ?? 0),
    oldestAgeSeconds: row?.oldest_age_seconds ?? 0,
    deadLetters: Number(row?.dead_letters ?? 0),
  };
}

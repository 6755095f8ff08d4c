/**
 * Status transitions of jobs.jobs rows, each one guarded in SQL so it happens at most once however
 * often BullMQ delivers the job:
 *
 *   PENDING ──start──► PROCESSING ──complete──► COMPLETED
 *      ▲                   │ ├──cancel──► CANCELLED (cooperative, cancel_requested)
 *      └──retry (error)────┘ └──fail────► FAILED (+ dead_lettered_at)
 *
 * `start` also accepts PROCESSING: a job whose worker was SIGKILLed mid-run is re-delivered by
 * BullMQ's stalled-job check and must be able to resume. Rows that are already COMPLETED,
 * CANCELLED or FAILED never start again, so a duplicate delivery does nothing.
 */
import type { Db, PrismaClient } from "@agora/platform";
import { MicroBatch } from "./micro-batch.js";

export interface StartedJob {
  id: string;
  type: Db.JobType;
  input: unknown;
  requestedBy: string;
  /** Starts of this row so far, this one included. */
  attempts: number;
  maxAttempts: number;
}

interface StartedRow {
  id: string;
  type: Db.JobType;
  input: unknown;
  requested_by: string;
  attempts: number;
  max_attempts: number;
}

/** The longest error text kept on a row. */
const maxErrorLength = 2000;
const errorText = (message: string) => message.slice(0, maxErrorLength);

type Transition = { kind: "start"; id: string } | { kind: "complete"; id: string; result: unknown };
type TransitionOutcome = StartedJob | null | boolean;

interface TransitionRow extends Omit<StartedRow, "type"> {
  kind: "start" | "complete";
  type: Db.JobType | null;
}

/**
 * Start and complete, the two transitions every job makes, are batched per event-loop turn
 * (MicroBatch) into ONE statement, two data-modifying CTEs with the guarded UPDATEs over
 * `id = ANY(...)`: each row still moves at most once, and a process running many jobs commits
 * once per turn instead of twice per job.
 */
export class JobRows {
  private readonly transitions: MicroBatch<Transition, TransitionOutcome>;

  constructor(private readonly prisma: PrismaClient) {
    this.transitions = new MicroBatch((batch) => this.transition(batch));
  }

  /** PENDING|PROCESSING -> PROCESSING, unless cancellation was requested; null when the row may not run. */
  start(id: string): Promise<StartedJob | null> {
    return this.transitions.call({ kind: "start", id }) as Promise<StartedJob | null>;
  }

  /** PROCESSING -> COMPLETED with the result; false when the row was not PROCESSING (already done). */
  complete(id: string, result: unknown): Promise<boolean> {
    return this.transitions.call({ kind: "complete", id, result }) as Promise<boolean>;
  }

  private async transition(batch: Transition[]): Promise<TransitionOutcome[]> {
    const startIds = batch.filter((t) => t.kind === "start").map((t) => t.id);
    const completions = batch.filter((t): t is Extract<Transition, { kind: "complete" }> => t.kind === "complete");
    // One statement must not update a row twice; a row both completing and starting again in one
    // turn (never with BullMQ id == row id) is split: completions first.
    if (completions.some((c) => startIds.includes(c.id))) {
      const done = await this.transition(completions);
      const started = await this.transition(batch.filter((t) => t.kind === "start"));
      let c = 0;
      let s = 0;
      return batch.map((t) => (t.kind === "complete" ? done[c++]! : started[s++]!));
    }
    const completeIds = completions.map((c) => c.id);
    const results = completions.map((c) => JSON.stringify(c.result ?? null));
    const rows = await this.prisma.$queryRaw<TransitionRow[]>`
      WITH started AS (
        UPDATE jobs.jobs
           SET status = 'PROCESSING', started_at = now(), attempts = attempts + 1, updated_at = now()
         WHERE id = ANY(${startIds}::uuid[]) AND status IN ('PENDING', 'PROCESSING') AND NOT cancel_requested
     RETURNING id::text, type::text, input, requested_by::text, attempts, max_attempts
      ), completed AS (
        UPDATE jobs.jobs AS j
           SET status = 'COMPLETED', progress = 100, result = v.result, error = NULL, finished_at = now(), updated_at = now()
          FROM unnest(${completeIds}::uuid[], ${results}::jsonb[]) AS v(id, result)
         WHERE j.id = v.id AND j.status = 'PROCESSING'
     RETURNING j.id::text
      )
      SELECT 'start' AS kind, id, type, input, requested_by, attempts, max_attempts FROM started
      UNION ALL
      SELECT 'complete', id, NULL, NULL, NULL, NULL, NULL FROM completed`;
    const started = new Map<string, TransitionRow>();
    const completed = new Set<string>();
    for (const row of rows) {
      if (row.kind === "start") started.set(row.id, row);
      else completed.add(row.id);
    }
    return batch.map((t) => {
      if (t.kind === "complete") return completed.delete(t.id);
      const row = started.get(t.id);
      // The same id twice in one batch (never with BullMQ id == row id): only the first caller runs it.
      if (!row) return null;
      started.delete(t.id);
      return {
        id: row.id,
        type: row.type!,
        input: row.input,
        requestedBy: row.requested_by,
        attempts: row.attempts,
        maxAttempts: row.max_attempts,
      };
    });
  }

  /** A failed attempt that BullMQ will retry: back to PENDING, the error kept for the client to see. */
  async retrying(id: string, message: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE jobs.jobs SET status = 'PENDING', error = ${errorText(message)}, updated_at = now()
       WHERE id = ${id}::uuid AND status = 'PROCESSING'`;
  }

  /**
   * The last attempt failed or the error is unrecoverable: FAILED, error kept, and the row enters
   * the dead-letter list (dead_lettered_at) until retryJob. PENDING is accepted too for a job that
   * failed outside the processor (stalled too often).
   */
  async fail(id: string, message: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE jobs.jobs
         SET status = 'FAILED', error = ${errorText(message)}, finished_at = now(), dead_lettered_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status IN ('PENDING', 'PROCESSING')`;
    return count === 1;
  }

  /** Ends a row whose cancellation was requested, running or not yet started. */
  async cancelled(id: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE jobs.jobs SET status = 'CANCELLED', finished_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status IN ('PENDING', 'PROCESSING') AND cancel_requested`;
    return count === 1;
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<
      { cancel_requested: boolean }[]
    >`SELECT cancel_requested FROM jobs.jobs WHERE id = ${id}::uuid`;
    return rows[0]?.cancel_requested ?? false;
  }

  /** Progress only moves forward and only while PROCESSING; returns whether cancellation was requested. */
  async progress(id: string, percent: number): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ cancel_requested: boolean }[]>`
      UPDATE jobs.jobs SET progress = GREATEST(progress, ${percent}::smallint), updated_at = now()
       WHERE id = ${id}::uuid AND status = 'PROCESSING'
   RETURNING cancel_requested`;
    return rows[0]?.cancel_requested ?? false;
  }
}

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

export class JobRows {
  constructor(private readonly prisma: PrismaClient) {}

  /** PENDING|PROCESSING -> PROCESSING, unless cancellation was requested; null when the row may not run. */
  async start(id: string): Promise<StartedJob | null> {
    const rows = await this.prisma.$queryRaw<StartedRow[]>`
      UPDATE jobs.jobs
         SET status = 'PROCESSING', started_at = now(), attempts = attempts + 1, updated_at = now()
       WHERE id = ${id}::uuid AND status IN ('PENDING', 'PROCESSING') AND NOT cancel_requested
   RETURNING id, type, input, requested_by, attempts, max_attempts`;
    const row = rows[0];
    if (!row) return null;
    return { id: row.id, type: row.type, input: row.input, requestedBy: row.requested_by, attempts: row.attempts, maxAttempts: row.max_attempts };
  }

  /** PROCESSING -> COMPLETED with the result; false when the row was not PROCESSING (already done). */
  async complete(id: string, result: unknown): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE jobs.jobs
         SET status = 'COMPLETED', progress = 100, result = ${JSON.stringify(result ?? null)}::jsonb, error = NULL,
             finished_at = now(), updated_at = now()
       WHERE id = ${id}::uuid AND status = 'PROCESSING'`;
    return count === 1;
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
    const rows = await this.prisma.$queryRaw<{ cancel_requested: boolean }[]>`SELECT cancel_requested FROM jobs.jobs WHERE id = ${id}::uuid`;
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

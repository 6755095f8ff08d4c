/**
 * The state machine of a jobs.jobs row, in one place: every change a row can go through, the
 * statuses it may start from and the status it ends in. The job store builds each guarded UPDATE
 * from this table (`WHERE status = ANY(from)`), so what is written here is exactly what the
 * database allows; a change asked of a row in any other status is refused and changes nothing.
 *
 *   PENDING ──start──► PROCESSING ──complete──► COMPLETED
 *      ▲ │                 │ ├──fail────────► FAILED ────┐
 *      │ │                 │ └──cancelled───► CANCELLED ─┤ (cooperative: cancel_requested)
 *      │ └──cancel─────────┼────────────────► CANCELLED  │
 *      ├──attemptFailed────┘                             │
 *      └──retry──────────────────────────────────────────┘
 *
 * Duplicate deliveries are harmless because of the guards: a COMPLETED, FAILED or CANCELLED row
 * never starts again, and a row completes at most once.
 */
import type { Db } from "../database.js";

export type JobStatus = Db.JobStatus;

interface TransitionRule {
  /** The statuses a row may be in for the change to apply. */
  from: readonly JobStatus[];
  /** The status the row has afterwards. */
  to: JobStatus;
}

export const jobTransitions = {
  /**
   * A worker takes the job (attempts + 1). PROCESSING is accepted too: a job whose worker was
   * killed mid-run is re-delivered by BullMQ's stalled-job check and must be able to resume.
   * Refused once cancellation was requested.
   */
  start: { from: ["PENDING", "PROCESSING"], to: "PROCESSING" },
  /** Progress (only forward) while running; answers whether cancellation was requested. */
  progress: { from: ["PROCESSING"], to: "PROCESSING" },
  /** The handler returned: COMPLETED with its result, exactly once. */
  complete: { from: ["PROCESSING"], to: "COMPLETED" },
  /** An attempt failed and BullMQ will try again: back to PENDING, the error kept for clients. */
  attemptFailed: { from: ["PROCESSING"], to: "PENDING" },
  /**
   * The last attempt failed or the error is unrecoverable: FAILED, and the row enters the
   * dead-letter list until `retry`. PENDING is accepted for a job BullMQ failed without running
   * it (it stalled too often).
   */
  fail: { from: ["PENDING", "PROCESSING"], to: "FAILED" },
  /** cancelJob on a job that has not started: CANCELLED at once. */
  cancel: { from: ["PENDING"], to: "CANCELLED" },
  /** cancelJob on a running job: only raises cancel_requested; the worker then ends it (`cancelled`). */
  requestCancel: { from: ["PROCESSING"], to: "PROCESSING" },
  /** A worker ends a row whose cancellation was requested, running or not yet started. */
  cancelled: { from: ["PENDING", "PROCESSING"], to: "CANCELLED" },
  /** retryJob: a clean slate (attempts, progress, error, result, dead letter) and back in the outbox. */
  retry: { from: ["FAILED", "CANCELLED"], to: "PENDING" },
  /** The outbox relay added the job to its BullMQ queue (enqueued_at set). */
  enqueue: { from: ["PENDING"], to: "PENDING" },
} as const satisfies Record<string, TransitionRule>;

export type JobTransition = keyof typeof jobTransitions;

/** Statuses a job never leaves by itself (only `retry` moves FAILED and CANCELLED on). */
export const finishedJobStatuses: readonly JobStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

/** Whether `transition` may be applied to a row in `status`. */
export function allowsTransition(transition: JobTransition, status: JobStatus): boolean {
  return (jobTransitions[transition].from as readonly JobStatus[]).includes(status);
}

/** The statuses `transition` starts from, as the text array the guarded UPDATEs compare against. */
export function sourceStatuses(transition: JobTransition): string[] {
  return [...jobTransitions[transition].from];
}

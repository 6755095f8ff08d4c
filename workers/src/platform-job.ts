/**
 * Runs one platform job (BullMQ payload `{jobId}`) against its jobs.jobs row: start guarded, hand
 * the row to the handler of its type, then complete, cancel, retry or fail the row. The BullMQ
 * outcome follows the row: a thrown error is retried by BullMQ unless it is an UnrecoverableError
 * or the last attempt.
 */
import { UnrecoverableError, type Job } from "bullmq";
import type { Db } from "@agora/platform/database";
import type { PlatformJobData } from "@agora/platform/queues";
import type { WorkerDeps } from "./deps.js";
import type { StartedJob } from "@agora/platform/job-store";
import { publishJobState } from "@agora/platform/live-events";
import { requestIdOfCarrier, runInRequestScope, runInSpan } from "@agora/platform";
import { notifyJobFinished } from "./live-notifications.js";

/** Thrown by `throwIfCancelled` when the row's cancel_requested is set; ends the row CANCELLED. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
  constructor(jobId: string) {
    super(`Job ${jobId} was cancelled`);
  }
}

export interface JobContext {
  /** The jobs.jobs row as started (attempts already counts this start). */
  row: StartedJob;
  /** The BullMQ job (attemptsMade counts previous failed attempts). */
  bullJob: Job<PlatformJobData>;
  deps: WorkerDeps;
  /** Records progress 0..100 on the row, at most once per JOB_PROGRESS_THROTTLE_MS, without waiting for the write. */
  progress(percent: number): void;
  /** Call between steps: throws JobCancelledError when cancellation was requested (seen within JOB_PROGRESS_THROTTLE_MS). */
  throwIfCancelled(): Promise<void>;
  /** Runs after the row is COMPLETED (e.g. deleting the upload the job consumed). */
  afterCompleted(task: () => Promise<void>): void;
}

export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;
export type JobHandlers = Record<Db.JobType, JobHandler>;

/** What the BullMQ job returns when the row was not (or no longer) runnable. */
export interface SkippedRun {
  skipped: "not-runnable" | "cancelled";
}

export const isPlatformJobData = (data: unknown): data is PlatformJobData => typeof (data as PlatformJobData | null)?.jobId === "string";

export const isUnrecoverable = (error: unknown) =>
  error instanceof UnrecoverableError || (error as Error | null)?.name === "UnrecoverableError";

/** Whether BullMQ will give up on this job when the current attempt fails. */
export const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * Runs the job inside a CONSUMER span continuing the trace carried in its data (the request that
 * created the row, through the outbox relay's span), and in the request id of that request, so
 * the job's log lines and SQL belong to the request that asked for it.
 */
export function runPlatformJob(
  bullJob: Job<PlatformJobData>,
  deps: WorkerDeps,
  handlers: JobHandlers,
): Promise<Record<string, unknown> | SkippedRun> {
  const carried = bullJob.data.trace;
  const attributes = {
    "messaging.system": "bullmq",
    "messaging.destination.name": bullJob.queueName,
    "messaging.message.id": bullJob.data.jobId,
    "messaging.bullmq.attempt": bullJob.attemptsMade + 1,
  };
  const run = () =>
    runInSpan(`process ${bullJob.queueName}`, { kind: "consumer", parent: carried, attributes }, () => runJob(bullJob, deps, handlers));
  const requestId = requestIdOfCarrier(carried);
  return requestId ? runInRequestScope({ requestId }, run) : run();
}

async function runJob(
  bullJob: Job<PlatformJobData>,
  deps: WorkerDeps,
  handlers: JobHandlers,
): Promise<Record<string, unknown> | SkippedRun> {
  const { jobs, config, log, live } = deps;
  const id = bullJob.data.jobId;
  const row = await jobs.start(id);
  if (!row) {
    // Finished, cancelled, failed or deleted: the same job delivered again is processed once.
    const cancelled = await jobs.cancelled(id);
    if (cancelled) await publishJobState(live, deps.prisma, id);
    return { skipped: cancelled ? "cancelled" : "not-runnable" };
  }
  await publishJobState(live, deps.prisma, id);
  log.debug({ jobId: id, type: row.type, attempt: row.attempts }, "job started");

  // Progress and the cancel flag are advisory: progress is written without waiting for it (a late
  // write is harmless, the UPDATE is guarded by status), and the flag is read from the database at
  // most once per JOB_PROGRESS_THROTTLE_MS, every progress write refreshing it for free.
  let lastWrite = 0;
  let lastCancelCheck = 0;
  let cancelSeen = false;
  const noteCancel = (requested: boolean) => {
    lastCancelCheck = Date.now();
    cancelSeen ||= requested;
  };
  const afterCompleted: (() => Promise<void>)[] = [];
  // Awaited before the final transition, so a progress event is never published after COMPLETED.
  let progressWrite: Promise<void> = Promise.resolve();
  const ctx: JobContext = {
    row,
    bullJob,
    deps,
    progress(percent) {
      const now = Date.now();
      const value = Math.max(0, Math.min(100, Math.round(percent)));
      if (value < 100 && now - lastWrite < config.JOB_PROGRESS_THROTTLE_MS) return;
      lastWrite = now;
      progressWrite = jobs
        .progress(id, value)
        .then((requested) => {
          noteCancel(requested);
          return publishJobState(live, deps.prisma, id);
        })
        .catch((error: unknown) => log.warn({ err: error, jobId: id }, "could not record progress"));
    },
    async throwIfCancelled() {
      if (!cancelSeen && Date.now() - lastCancelCheck >= config.JOB_PROGRESS_THROTTLE_MS) noteCancel(await jobs.isCancelRequested(id));
      if (cancelSeen) throw new JobCancelledError(id);
    },
    afterCompleted(task) {
      afterCompleted.push(task);
    },
  };

  try {
    const result = await handlers[row.type](ctx);
    await progressWrite;
    if (await jobs.complete(id, result)) {
      log.debug({ jobId: id, type: row.type }, "job completed");
      await publishJobState(live, deps.prisma, id);
      await notifyJobFinished(live, row, { status: "COMPLETED" });
      for (const task of afterCompleted)
        await task().catch((error: unknown) => log.warn({ err: error, jobId: id }, "after-completion step failed"));
    }
    return result;
  } catch (error) {
    if (error instanceof JobCancelledError) {
      if (await jobs.cancelled(id)) await publishJobState(live, deps.prisma, id);
      log.info({ jobId: id }, "job cancelled");
      return { skipped: "cancelled" };
    }
    const message = (error as Error)?.message ?? String(error);
    const final = isUnrecoverable(error) || isLastAttempt(bullJob);
    try {
      await progressWrite;
      const failed = final ? await jobs.fail(id, message) : (await jobs.attemptFailed(id, message), false);
      await publishJobState(live, deps.prisma, id);
      if (failed) await notifyJobFinished(live, row, { status: "FAILED", error: message });
    } catch (rowError) {
      // The BullMQ outcome still follows; the 'failed' listener repairs the row later if it can.
      log.error({ err: rowError, jobId: id }, "could not record the failure on the job row");
    }
    log.warn(
      { jobId: id, type: row.type, attempt: bullJob.attemptsMade + 1, final, err: message },
      final ? "job failed" : "job attempt failed; will retry",
    );
    throw error;
  }
}

/** Unrecoverable: the job cannot succeed however often it runs (invalid input, missing or corrupt file). */
export const unrecoverable = (message: string) => new UnrecoverableError(message);

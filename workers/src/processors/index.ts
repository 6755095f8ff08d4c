/** One handler per Job.type, and the BullMQ processor every queue runs. */
import { UnrecoverableError, type Job, type Processor } from "bullmq";
import { runInSpan } from "@agora/platform";
import type { WorkerDeps } from "../deps.js";
import { isPlatformJobData, runPlatformJob, type JobHandlers } from "../platform-job.js";
import { isScheduledTaskData, runScheduledTask } from "../schedules.js";
import { analyticsReport } from "./analytics-report.js";
import { analyticsRollup } from "./analytics-rollup.js";
import { imageProcessing } from "./image-processing.js";
import { maintenance } from "./maintenance.js";
import { moderation } from "./moderation.js";
import { noop } from "./noop.js";
import { searchIndex } from "./search-index.js";

export const handlers: JobHandlers = {
  IMAGE_PROCESSING: imageProcessing,
  ANALYTICS_REPORT: analyticsReport,
  ANALYTICS_ROLLUP: analyticsRollup,
  MODERATION: moderation,
  SEARCH_REINDEX: searchIndex,
  MAINTENANCE: maintenance,
  NOOP: noop,
};

/** Platform jobs carry `{jobId}` (a jobs.jobs row); scheduled jobs carry `{task}` and have no row. */
export function createProcessor(deps: WorkerDeps): Processor {
  return async (job: Job) => {
    if (isPlatformJobData(job.data)) return runPlatformJob(job, deps, handlers);
    // No request asked for a scheduled run: each one is a trace of its own.
    if (isScheduledTaskData(job.data))
      return runInSpan(
        `process ${job.queueName}`,
        {
          kind: "consumer",
          attributes: { "messaging.system": "bullmq", "messaging.destination.name": job.queueName, "agora.task": job.data.task },
        },
        () => runScheduledTask(job, deps),
      );
    throw new UnrecoverableError(
      `Job ${job.id} of queue ${job.queueName} has neither a jobId nor a known scheduled task: ${JSON.stringify(job.data).slice(0, 200)}`,
    );
  };
}

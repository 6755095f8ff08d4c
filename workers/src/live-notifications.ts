/**
 * Which finished jobs the requester is told about, and in what words. Called after the row's final
 * transition has committed (platform-job.ts); the publishing itself is `@agora/platform/live-events`.
 */
import { storagePaths } from "@agora/platform/storage";
import { publishNotification, type LivePublisher, type NewNotification } from "@agora/platform/live-events";
import type { StartedJob } from "@agora/platform/job-store";

const offerIdOf = (value: unknown): string | null => {
  const offerId = (value as { offerId?: unknown } | null)?.offerId;
  return typeof offerId === "string" ? offerId : null;
};

/** The notification a job's end deserves, or null (most job types end silently). */
export function finishedJobNotification(
  row: StartedJob,
  outcome: { status: "COMPLETED" } | { status: "FAILED"; error: string },
): NewNotification | null {
  const base = { userId: row.requestedBy, jobId: row.id };
  switch (row.type) {
    case "IMAGE_PROCESSING":
      return outcome.status === "COMPLETED"
        ? { ...base, kind: "IMAGE_PROCESSED", message: "Your image is processed and ready.", offerId: offerIdOf(row.input) }
        : { ...base, kind: "IMAGE_FAILED", message: `Your image could not be processed: ${outcome.error}`, offerId: offerIdOf(row.input) };
    case "ANALYTICS_REPORT":
      return outcome.status === "COMPLETED"
        ? { ...base, kind: "REPORT_READY", message: "Your analytics report is ready to download.", filePath: storagePaths.report(row.id) }
        : null;
    default:
      return null;
  }
}

export async function notifyJobFinished(
  publisher: LivePublisher,
  row: StartedJob,
  outcome: Parameters<typeof finishedJobNotification>[1],
): Promise<void> {
  const notification = finishedJobNotification(row, outcome);
  if (notification) await publishNotification(publisher, notification);
}

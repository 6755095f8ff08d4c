/**
 * Live events: what changed, published through Redis pub/sub to whichever gateway holds the
 * client's socket (DESIGN.md, "Live updates travel from where the truth changes").
 *
 * Publishers call these functions right AFTER a transition has committed, never inside the
 * transaction: a subscriber that reacts to an event reads committed state, and a rolled-back
 * transition is never announced. Pub/sub keeps no history, so an event published while no gateway
 * (or no Redis) listens is gone; the gateway therefore sends a job's current state when a client
 * subscribes and again when its Redis connection comes back, and every event carries the row's
 * `updatedAt` so a gateway can drop one it has already delivered (or one that arrives late).
 *
 * Publishing never throws: a job is done whether or not someone was told. Failures are logged.
 *
 * Channels (all under REDIS_KEY_PREFIX):
 *   `<prefix>live:job:<jobId>`   job events of one job (jobUpdated)
 *   `<prefix>live:user:<userId>` job events of the user's jobs and the user's notifications
 * Notification bodies are also kept at `<prefix>live:notification:<id>` for NOTIFICATION_TTL so
 * the jobs subgraph can answer `notification(id)` (which is how the gateway resolves a payload).
 */
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "./database.js";
import type { Logger } from "./logger.js";
import type { Redis } from "./redis.js";

export const liveChannels = {
  job: (keyPrefix: string, jobId: string) => `${keyPrefix}live:job:${jobId}`,
  user: (keyPrefix: string, userId: string) => `${keyPrefix}live:user:${userId}`,
};

export const notificationKey = (keyPrefix: string, id: string) => `${keyPrefix}live:notification:${id}`;

/** How long a notification can be read back by id after it was published. @defaultValue 7 days */
export const notificationTtlSeconds = 7 * 24 * 3600;

export const jobStatuses = ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type LiveJobStatus = (typeof jobStatuses)[number];

/** A jobs.jobs row as it was right after a committed transition. */
export interface JobSnapshot {
  jobId: string;
  userId: string;
  status: LiveJobStatus;
  progress: number;
  attempts: number;
  error: string | null;
  result: unknown;
  startedAt: string | null;
  finishedAt: string | null;
  /** ISO-8601 with milliseconds; moves on every transition, so it orders the events of one job. */
  updatedAt: string;
}

export const notificationKinds = ["IMAGE_PROCESSED", "IMAGE_FAILED", "REPORT_READY", "REVIEW_MODERATED", "REVIEW_RECEIVED"] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** What a client renders: a sentence, when, and the objects it is about (by id). */
export interface LiveNotification {
  id: string;
  kind: NotificationKind;
  /** The recipient. */
  userId: string;
  message: string;
  createdAt: string;
  jobId: string | null;
  offerId: string | null;
  reviewId: string | null;
  /** A file under STORAGE_DIR the notification offers for download (reports), relative. */
  filePath: string | null;
}

export type LiveEvent = { type: "job"; job: JobSnapshot } | { type: "notification"; notification: LiveNotification };

/** Where and how to publish. */
export interface LivePublisher {
  /** A command connection (not a subscriber connection). */
  redis: Redis;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
  log: Pick<Logger, "warn">;
}

/** Parses a message of a live channel; null for anything that is not a live event. */
export function parseLiveEvent(message: string): LiveEvent | null {
  try {
    const event = JSON.parse(message) as Partial<LiveEvent> | null;
    if (event?.type === "job" && typeof event.job?.jobId === "string" && typeof event.job.updatedAt === "string") return event as LiveEvent;
    if (event?.type === "notification" && typeof event.notification?.id === "string") return event as LiveEvent;
  } catch {
    // not ours
  }
  return null;
}

/** Publishes a job's committed state on its job channel and its owner's user channel. */
export async function publishJobEvent(publisher: LivePublisher, job: JobSnapshot): Promise<void> {
  const message = JSON.stringify({ type: "job", job } satisfies LiveEvent);
  try {
    await publisher.redis
      .pipeline()
      .publish(liveChannels.job(publisher.keyPrefix, job.jobId), message)
      .publish(liveChannels.user(publisher.keyPrefix, job.userId), message)
      .exec();
  } catch (error) {
    publisher.log.warn({ err: error, jobId: job.jobId }, "live job event not published (Redis)");
  }
}

/**
 * Reads the row as committed and publishes it: one line after any transition, whatever its SQL
 * returned. Reading afresh means two quick transitions may both announce the later state; the
 * gateway drops the repeat by `updatedAt`.
 */
export async function publishJobState(publisher: LivePublisher, prisma: PrismaClient, jobId: string): Promise<void> {
  let row;
  try {
    row = await prisma.job.findUnique({
      where: { id: jobId },
      select: {
        id: true,
        requestedBy: true,
        status: true,
        progress: true,
        attempts: true,
        error: true,
        result: true,
        startedAt: true,
        finishedAt: true,
        updatedAt: true,
      },
    });
  } catch (error) {
    publisher.log.warn({ err: error, jobId }, "live job event not published (could not read the row)");
    return;
  }
  if (!row) return;
  await publishJobEvent(publisher, {
    jobId: row.id,
    userId: row.requestedBy,
    status: row.status,
    progress: row.progress,
    attempts: row.attempts,
    error: row.error,
    result: row.result ?? null,
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  });
}

export type NewNotification = Pick<LiveNotification, "kind" | "userId" | "message"> &
  Partial<Pick<LiveNotification, "jobId" | "offerId" | "reviewId" | "filePath">>;

/** Stores the notification (for `notification(id)`) and publishes it on the recipient's channel. */
export async function publishNotification(publisher: LivePublisher, input: NewNotification): Promise<LiveNotification> {
  const notification: LiveNotification = {
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    jobId: null,
    offerId: null,
    reviewId: null,
    filePath: null,
    ...input,
  };
  const body = JSON.stringify(notification);
  try {
    await publisher.redis
      .multi()
      .set(notificationKey(publisher.keyPrefix, notification.id), body, "EX", notificationTtlSeconds)
      .publish(liveChannels.user(publisher.keyPrefix, notification.userId), JSON.stringify({ type: "notification", notification }))
      .exec();
  } catch (error) {
    publisher.log.warn({ err: error, kind: notification.kind, userId: notification.userId }, "notification not published (Redis)");
  }
  return notification;
}

/** A stored notification by id; null when unknown or expired. */
export async function readNotification(redis: Redis, keyPrefix: string, id: string): Promise<LiveNotification | null> {
  const body = await redis.get(notificationKey(keyPrefix, id));
  if (!body) return null;
  const event = parseLiveEvent(JSON.stringify({ type: "notification", notification: JSON.parse(body) as unknown }));
  return event?.type === "notification" ? event.notification : null;
}

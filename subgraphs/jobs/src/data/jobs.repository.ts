/** Data access for jobs.jobs. Status changes are guarded updates (WHERE status = ...) so a worker
 * moving the same row at the same moment can never be overwritten. */
import { randomUUID } from "node:crypto";
import { afterKeyWhere, newestFirst, Prisma, toConnection, type Db, type Page, type PrismaClient } from "@agora/platform";
import type { JobConnectionModel, JobRow } from "./models.js";

export interface NewJob {
  /** Chosen by the caller when a file is named after the job (uploads); else generated. */
  id?: string;
  type: Db.JobType;
  priority: number;
  input: Prisma.InputJsonObject;
  requestedBy: string;
  maxAttempts: number;
}

export interface JobListFilter {
  /** Only this user's jobs; undefined for admins (everyone's). */
  requestedBy?: string | undefined;
  status?: Db.JobStatus | null | undefined;
  type?: Db.JobType | null | undefined;
  createdFrom?: Date | null | undefined;
  createdTo?: Date | null | undefined;
  deadLettered?: boolean;
}

export async function findJobsByIds(db: PrismaClient, ids: readonly string[]): Promise<JobRow[]> {
  return db.job.findMany({ where: { id: { in: [...ids] } } });
}

export async function findJob(db: PrismaClient, id: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { id } });
}

/**
 * Inserts all jobs in one transaction (one INSERT), each with enqueued_at NULL: the row is its own
 * outbox entry, so a committed job is always queued eventually. Returns them in input order.
 */
export async function insertJobs(db: PrismaClient, jobs: NewJob[]): Promise<JobRow[]> {
  const data = jobs.map((job) => ({
    id: job.id ?? randomUUID(),
    type: job.type,
    priority: job.priority,
    input: job.input,
    requestedBy: job.requestedBy,
    maxAttempts: job.maxAttempts,
    status: "PENDING" as const,
    enqueuedAt: null,
  }));
  const rows = await db.$transaction(async (tx) => tx.job.createManyAndReturn({ data }));
  const byId = new Map(rows.map((row) => [row.id, row]));
  return data.map((job) => byId.get(job.id)!);
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

/** One page, newest first; the total is counted only when a client asks for it. */
export async function listJobs(db: PrismaClient, filter: JobListFilter, page: Page): Promise<JobConnectionModel> {
  const where = listWhere(filter);
  const rows = await db.job.findMany({ where: { AND: [where, afterKeyWhere(page.after)] }, orderBy: newestFirst, take: page.first + 1 });
  return toConnection(rows, page, () => db.job.count({ where }));
}

/** PENDING → CANCELLED. False when the row was not PENDING any more. */
export async function cancelPendingJob(db: PrismaClient, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, status: "PENDING" },
    data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() },
  });
  return count === 1;
}

/** PROCESSING: asks the worker to stop (it checks cancel_requested between steps). */
export async function requestCancellation(db: PrismaClient, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: "PROCESSING" }, data: { cancelRequested: true } });
  return count === 1;
}

/** FAILED or CANCELLED → PENDING with a clean slate, back in the outbox. False otherwise. */
export async function resetForRetry(db: PrismaClient, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, status: { in: ["FAILED", "CANCELLED"] } },
    data: {
      status: "PENDING",
      attempts: 0,
      progress: 0,
      error: null,
      result: Prisma.DbNull,
      cancelRequested: false,
      startedAt: null,
      finishedAt: null,
      deadLetteredAt: null,
      enqueuedAt: null,
    },
  });
  return count === 1;
}

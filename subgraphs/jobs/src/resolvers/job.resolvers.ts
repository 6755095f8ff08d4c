import {
  conflict,
  forbidden,
  isAdmin,
  notFound,
  parsePage,
  requireIdentity,
  requireUuid,
  badUserInput,
  withTimeout,
} from "@agora/platform";
import { allowsTransition } from "@agora/platform/job-store";
import { publishJobState } from "@agora/platform/live-events";
import type { Context } from "../context.js";
import type { JobRow } from "../data/models.js";
import type { Resolvers } from "../generated/graphql.js";
import { canSeeJob, reportScope, requireDateRange, validateJobBatch } from "./job-rules.js";

/**
 * Job types the platform runs on a user's behalf but that the user must not steer: a review's
 * author cancelling the MODERATION job of their own review would keep it unmoderated.
 */
const systemJobTypes: ReadonlySet<JobRow["type"]> = new Set(["MODERATION", "ANALYTICS_ROLLUP", "MAINTENANCE", "SEARCH_REINDEX"]);

/** A job the caller may act on, read from the primary (a mutation decides on current state). */
async function ownJobForUpdate(ctx: Context, rawId: string): Promise<JobRow> {
  const identity = requireIdentity(ctx.identity);
  const id = requireUuid(rawId);
  const job = await ctx.services.jobs.find(id);
  if (!job || !canSeeJob(identity, job)) throw notFound("Job", id);
  if (systemJobTypes.has(job.type) && !isAdmin(identity))
    throw forbidden(`${job.type} jobs are run by the platform; only admins can cancel or retry them.`);
  return job;
}

/** The row as it is after a change of ours; deleted meanwhile is NOT_FOUND. */
async function currentJob(ctx: Context, id: string): Promise<JobRow> {
  const job = await ctx.services.jobs.find(id);
  if (!job) throw notFound("Job", id);
  return job;
}

/** Takes a cancelled job out of its BullMQ queue; if Redis is away the worker skips it anyway. */
async function removeFromQueue(ctx: Context, job: JobRow): Promise<void> {
  try {
    await withTimeout(
      ctx.services.queues.forType(job.type).remove(job.id),
      ctx.services.settings.outboxRedisTimeoutMs,
      "Redis (BullMQ remove)",
    );
  } catch (error) {
    ctx.log.warn({ err: error, jobId: job.id }, "could not remove a cancelled job from its queue; the worker will skip it");
  }
}

export const jobResolvers: Resolvers = {
  Query: {
    async job(_parent, { id }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const job = await ctx.loaders.jobById.load(requireUuid(id));
      return job && canSeeJob(identity, job) ? job : null;
    },
    async jobs(_parent, { filter, first, after }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const page = parsePage({ first, after });
      const createdFrom = filter?.createdFrom ? new Date(filter.createdFrom) : null;
      const createdTo = filter?.createdTo ? new Date(filter.createdTo) : null;
      if (createdFrom && createdTo && createdFrom.getTime() > createdTo.getTime()) {
        throw badUserInput(`"filter.createdFrom" must not be after "filter.createdTo".`, "filter.createdFrom");
      }
      return ctx.services.jobs.list(
        {
          requestedBy: isAdmin(identity) ? undefined : identity.userId,
          status: filter?.status,
          type: filter?.type,
          createdFrom,
          createdTo,
        },
        page,
        ctx.db.read,
      );
    },
    async deadLetterJobs(_parent, { first, after }, ctx) {
      const identity = requireIdentity(ctx.identity);
      if (!isAdmin(identity)) throw forbidden("Only admins may list dead-lettered jobs.");
      return ctx.services.jobs.list({ deadLettered: true }, parsePage({ first, after }), ctx.db.read);
    },
  },

  Mutation: {
    async createJobs(_parent, { input }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const valid = validateJobBatch(identity, input);
      return ctx.services.jobs.submitJobs(
        valid.map((job) => ({ ...job, requestedBy: identity.userId, maxAttempts: ctx.services.settings.maxAttempts })),
      );
    },

    async requestAnalyticsReport(_parent, { range }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const { from, to } = requireDateRange(range.from, range.to, "range");
      const [job] = await ctx.services.jobs.submitJobs([
        {
          type: "ANALYTICS_REPORT",
          priority: 0,
          input: { from: from.toISOString(), to: to.toISOString(), ...reportScope(identity) },
          requestedBy: identity.userId,
          maxAttempts: ctx.services.settings.maxAttempts,
        },
      ]);
      if (!job) throw new Error("submitJobs returned no row for the report job.");
      return job;
    },

    async cancelJob(_parent, { id }, ctx) {
      const { jobs } = ctx.services;
      // A worker may move the row between our read and our write: the guarded updates tell, and
      // we decide again on the fresh state (a handful of rounds at most).
      for (let round = 0; round < 5; round++) {
        const job = await ownJobForUpdate(ctx, id);
        if (allowsTransition("cancel", job.status)) {
          if (await jobs.cancel(job.id)) {
            await publishJobState(ctx.services.live, ctx.db.write, job.id);
            await removeFromQueue(ctx, job);
            return currentJob(ctx, job.id);
          }
        } else if (allowsTransition("requestCancel", job.status)) {
          if (await jobs.requestCancel(job.id)) return currentJob(ctx, job.id);
        } else {
          throw conflict(`Job ${job.id} is already ${job.status}; only PENDING or PROCESSING jobs can be cancelled.`);
        }
      }
      throw conflict(`Job ${id} changed state while it was being cancelled; try again.`);
    },

    async retryJob(_parent, { id }, ctx) {
      const job = await ownJobForUpdate(ctx, id);
      if (!allowsTransition("retry", job.status)) {
        throw conflict(`Job ${job.id} is ${job.status}; only FAILED or CANCELLED jobs can be retried.`);
      }
      if (!(await ctx.services.jobs.retry(job.id))) {
        throw conflict(`Job ${job.id} changed state while it was being retried; try again.`);
      }
      // Admins retry other people's jobs (the dead-letter list): audited. Users retrying their own are not.
      if (isAdmin(ctx.identity)) {
        ctx.audit.record({
          action: "JOB_RETRY",
          outcome: "SUCCESS",
          targetType: "JOB",
          targetId: job.id,
          details: { type: job.type, previousStatus: job.status, requestedBy: job.requestedBy },
        });
      }
      await publishJobState(ctx.services.live, ctx.db.write, job.id);
      return currentJob(ctx, job.id);
    },
  },

  Job: {
    async __resolveReference(reference, ctx) {
      if (!ctx.identity) return null;
      const job = await ctx.loaders.jobById.load(reference.id);
      return job && canSeeJob(ctx.identity, job) ? job : null;
    },
    input: (job) => job.input ?? {},
    requestedBy: (job) => ({ __typename: "User", id: job.requestedBy }),
    offer: (job) => {
      const offerId = job.type === "IMAGE_PROCESSING" ? (job.input as { offerId?: unknown } | null)?.offerId : undefined;
      return typeof offerId === "string" ? { id: offerId } : null;
    },
  },

  JobConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
};

/** GET /jobs/:id — the job as JSON, for its requester or an admin (the statusUrl of an upload). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, isUuid, sendJson, type RouteHandler } from "@agora/platform";
import type { JobStore } from "@agora/platform/job-store";
import type { JobRow } from "../data/models.js";
import { canSeeJob } from "../resolvers/job-rules.js";
import { requireRestIdentity, RestError, sendRestError } from "./rest-support.js";

export const jobStatusPrefix = "/jobs/";

/** The same fields as the GraphQL Job type. */
export function jobJson(job: JobRow) {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    progress: job.progress,
    priority: job.priority,
    attempts: job.attempts,
    input: job.input,
    result: job.result,
    error: job.error,
    requestedBy: job.requestedBy,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export function createJobStatusRoute(deps: { jobs: JobStore; internalSecret: string }): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      const identity = await requireRestIdentity(req, deps.internalSecret);
      const id = url.pathname.slice(jobStatusPrefix.length);
      if (!isUuid(id)) throw new RestError(400, ErrorCode.BAD_USER_INPUT, `"${id.slice(0, 60)}" is not a valid job id.`);
      // The primary: a client polls right after its upload, before a replica may have the row.
      const job = await deps.jobs.find(id.toLowerCase());
      if (!job || !canSeeJob(identity, job)) throw new RestError(404, ErrorCode.NOT_FOUND, `Job ${id} was not found.`);
      sendJson(res, 200, jobJson(job), { "cache-control": "no-store" });
    } catch (error) {
      if (error instanceof RestError) return sendRestError(res, error);
      throw error;
    }
  };
}

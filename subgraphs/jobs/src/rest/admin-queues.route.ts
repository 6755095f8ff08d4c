/**
 * Everything under /admin/queues, for admins only (every path: the board's HTML, its static assets,
 * its JSON API, and the platform's own pages):
 * - /admin/queues, /admin/queues/queue/<name>, ...: bull-board, read-only (queue-board.ts says why);
 * - /admin/queues/outbox: the outbox backlog and the dead letters, which live in Postgres and which
 *   bull-board cannot show; /admin/queues/api/outbox is the same as JSON;
 * - /admin/queues?format=json: the whole report as JSON (per queue its counts and latest failures,
 *   plus the outbox and dead letters), for scripts.
 * The caller is the gateway's signed identity header, as on every REST route here; a browser gets
 * it from the gateway's sign-in cookie (gateway/src/http/admin-session.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, isAdmin, sendJson, withTimeout, type RouteHandler } from "@agora/platform";
import type { JobStore } from "@agora/platform/job-store";
import type { JobQueues, PlatformQueue } from "../queue/job-queues.js";
import { createQueueBoard, outboxPagePath, queueBoardBasePath } from "./queue-board.js";
import { requireRestIdentity, RestError, sendRestError } from "./rest-support.js";

export interface AdminQueuesDependencies {
  jobs: JobStore;
  queues: JobQueues;
  internalSecret: string;
  redisTimeoutMs: number;
  /** Outside development a queue that cannot be read says "Redis unavailable" without the driver's message. */
  exposeErrorDetails: boolean;
}

const countTypes = ["waiting", "prioritized", "active", "delayed", "completed", "failed", "paused", "waiting-children"] as const;
const failedShown = 20;

interface QueueReport {
  name: string;
  paused?: boolean;
  counts?: Record<string, number>;
  failed?: { id: string | undefined; name: string; failedReason: string; attemptsMade: number; finishedOn: string | null }[];
  error?: string;
}

async function queueReport(queue: PlatformQueue, timeoutMs: number, exposeErrorDetails: boolean): Promise<QueueReport> {
  try {
    const [counts, paused, failed] = await withTimeout(
      Promise.all([queue.getJobCounts(...countTypes), queue.isPaused(), queue.getFailed(0, failedShown - 1)]),
      timeoutMs,
      "Redis",
    );
    return {
      name: queue.name,
      paused,
      counts,
      failed: failed.map((job) => ({
        id: job.id,
        name: job.name,
        failedReason: job.failedReason,
        attemptsMade: job.attemptsMade,
        finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      })),
    };
  } catch (error) {
    return { name: queue.name, error: exposeErrorDetails ? `Redis unavailable: ${(error as Error).message}` : "Redis unavailable" };
  }
}

const escapeHtml = (value: unknown) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

interface OutboxReport {
  outbox: { undelivered: number };
  deadLetter: number;
  generatedAt: string;
}

function renderOutboxPage(report: OutboxReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agora outbox and dead letters</title>
<meta http-equiv="refresh" content="5">
<style>body{font:14px system-ui,sans-serif;margin:2rem}dt{font-weight:600;margin-top:1rem}dd{font-size:2rem;margin:0}</style>
</head><body>
<h1>Outbox and dead letters</h1>
<dl>
<dt>Outbox backlog: jobs committed in Postgres, not yet queued in BullMQ</dt><dd id="outbox-undelivered">${report.outbox.undelivered}</dd>
<dt>Dead letters: jobs that failed their last attempt</dt><dd id="dead-letter">${report.deadLetter}</dd>
</dl>
<p>${escapeHtml(report.generatedAt)} · <a href="${queueBoardBasePath}/">Back to the queues</a></p>
</body></html>`;
}

export function createAdminQueuesRoute(deps: AdminQueuesDependencies): RouteHandler {
  const board = createQueueBoard({ queues: deps.queues.all(), exposeErrorDetails: deps.exposeErrorDetails });
  const outboxReport = async (): Promise<OutboxReport> => {
    const [undelivered, deadLetter] = await Promise.all([deps.jobs.countUndelivered(), deps.jobs.countDeadLettered()]);
    return { outbox: { undelivered }, deadLetter, generatedAt: new Date().toISOString() };
  };
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      const path = url.pathname.replace(/\/+$/, "");
      if (path !== queueBoardBasePath && !path.startsWith(`${queueBoardBasePath}/`))
        throw new RestError(404, ErrorCode.NOT_FOUND, `No route for GET ${url.pathname}.`);
      const identity = await requireRestIdentity(req, deps.internalSecret);
      if (!isAdmin(identity)) throw new RestError(403, ErrorCode.FORBIDDEN, "The queue dashboard is for admins only.");
      const noStore = { "cache-control": "no-store" };
      if (path === `${queueBoardBasePath}/api/outbox`) return sendJson(res, 200, await outboxReport(), noStore);
      if (path === outboxPagePath) {
        const html = renderOutboxPage(await outboxReport());
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": String(Buffer.byteLength(html)), ...noStore });
        return void res.end(html);
      }
      if (path === queueBoardBasePath && url.searchParams.get("format") === "json") {
        const [queues, outbox] = await Promise.all([
          Promise.all(deps.queues.all().map((queue) => queueReport(queue, deps.redisTimeoutMs, deps.exposeErrorDetails))),
          outboxReport(),
        ]);
        return sendJson(res, 200, { queues, ...outbox }, noStore);
      }
      // Queue contents change by the second and are for one admin's eyes: never cached on the way.
      res.setHeader("cache-control", "no-store");
      await board(req, res);
    } catch (error) {
      if (error instanceof RestError) return sendRestError(res, error);
      throw error;
    }
  };
}

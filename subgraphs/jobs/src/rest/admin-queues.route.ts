/**
 * GET /admin/queues — the queue dashboard, for admins: per BullMQ queue its counts and latest
 * failures, plus the outbox backlog and the dead-letter count from Postgres. JSON by default;
 * an HTML page for browsers (Accept: text/html) or with ?format=html. Read-only on purpose: retry
 * and cancel go through the GraphQL mutations, which keep Postgres and BullMQ consistent.
 *
 * (bull-board was considered: it needs a web framework adapter and serves its own UI bundle;
 * this page covers what operators look at, with no extra dependency.)
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, isAdmin, sendJson, withTimeout, type RouteHandler } from "@agora/platform";
import type { JobStore } from "@agora/platform/job-store";
import type { JobQueues, PlatformQueue } from "../queue/job-queues.js";
import { requireRestIdentity, RestError, sendRestError } from "./rest-support.js";

export interface AdminQueuesDependencies {
  jobs: JobStore;
  queues: JobQueues;
  internalSecret: string;
  redisTimeoutMs: number;
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

async function queueReport(queue: PlatformQueue, timeoutMs: number): Promise<QueueReport> {
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
    return { name: queue.name, error: `Redis unavailable: ${(error as Error).message}` };
  }
}

const escapeHtml = (value: unknown) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function renderHtml(report: { queues: QueueReport[]; outbox: { undelivered: number }; deadLetter: number; generatedAt: string }): string {
  const rows = report.queues
    .map((q) => {
      if (q.error)
        return `<tr><td>${escapeHtml(q.name)}</td><td colspan="${countTypes.length + 1}" class="err">${escapeHtml(q.error)}</td></tr>`;
      const cells = countTypes.map((t) => `<td>${q.counts?.[t] ?? 0}</td>`).join("");
      return `<tr><td>${escapeHtml(q.name)}</td><td>${q.paused ? "paused" : "running"}</td>${cells}</tr>`;
    })
    .join("\n");
  const failures = report.queues
    .flatMap((q) => (q.failed ?? []).map((f) => ({ queue: q.name, ...f })))
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.queue)}</td><td><code>${escapeHtml(f.id)}</code></td><td>${escapeHtml(f.name)}</td><td>${f.attemptsMade}</td><td>${escapeHtml(f.finishedOn)}</td><td>${escapeHtml(f.failedReason)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agora queues</title>
<meta http-equiv="refresh" content="5">
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f4f4f4}.err{color:#b00}</style>
</head><body>
<h1>Queues</h1>
<p>Outbox: <b>${report.outbox.undelivered}</b> job(s) committed but not yet queued · Dead letters: <b>${report.deadLetter}</b> · ${escapeHtml(report.generatedAt)}</p>
<table><tr><th>queue</th><th>state</th>${countTypes.map((t) => `<th>${t}</th>`).join("")}</tr>
${rows}
</table>
<h2>Latest failures</h2>
<table><tr><th>queue</th><th>job id</th><th>type</th><th>attempts</th><th>failed at</th><th>reason</th></tr>
${failures || '<tr><td colspan="6">none</td></tr>'}
</table>
</body></html>`;
}

export function createAdminQueuesRoute(deps: AdminQueuesDependencies): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      if (url.pathname !== "/admin/queues" && url.pathname !== "/admin/queues/")
        throw new RestError(404, ErrorCode.NOT_FOUND, `No route for GET ${url.pathname}.`);
      const identity = await requireRestIdentity(req, deps.internalSecret);
      if (!isAdmin(identity)) throw new RestError(403, ErrorCode.FORBIDDEN, "The queue dashboard is for admins only.");
      const [queues, undelivered, deadLetter] = await Promise.all([
        Promise.all(deps.queues.all().map((queue) => queueReport(queue, deps.redisTimeoutMs))),
        deps.jobs.countUndelivered(),
        deps.jobs.countDeadLettered(),
      ]);
      const report = { queues, outbox: { undelivered }, deadLetter, generatedAt: new Date().toISOString() };
      const wantsHtml =
        url.searchParams.get("format") === "html" ||
        (url.searchParams.get("format") !== "json" && /text\/html/.test(req.headers.accept ?? ""));
      if (!wantsHtml) return sendJson(res, 200, report, { "cache-control": "no-store" });
      const html = renderHtml(report);
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": String(Buffer.byteLength(html)),
        "cache-control": "no-store",
      });
      res.end(html);
    } catch (error) {
      if (error instanceof RestError) return sendRestError(res, error);
      throw error;
    }
  };
}

/**
 * GET /health of one worker process: Redis and Postgres reachability, the depth of every platform
 * queue, and the schedules' last runs. 200 when both dependencies answer, else 503.
 * GET /metrics: the same process for Prometheus (see metrics/worker-metrics.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Queue } from "bullmq";
import {
  describeDependencyFailure,
  describeRedisUrl,
  ErrorCode,
  listen,
  sendErrorResponse,
  sendJson,
  withTimeout,
  type Metrics,
  type RunningServer,
} from "@agora/platform";
import { type QueueName } from "@agora/platform/queues";
import type { SearchIndexLag } from "@agora/offers/search";
import type { WorkerDeps } from "./deps.js";
import { scheduleStatsKey, schedules } from "./schedules.js";

export interface HealthSource {
  deps: WorkerDeps;
  /** Every platform queue (depths are shown for all, consumed here or not). */
  queues: Map<QueueName, Queue>;
  consumed: Record<string, number>;
  schedules: Record<string, number>;
  drained: () => number | null;
  /** Audit events this process's drain stored (null when it runs no drain). */
  audited?: () => number | null;
  metrics: Metrics;
  /** The search indexer of this process, when it consumes the search-index queue. */
  searchIndex: { backend: string; lag: () => Promise<SearchIndexLag>; applied: () => number } | null;
}

const checkTimeoutMs = 2000;

/** Driver error text (hosts, SQL) stays in the log outside development; the answer gets a state. */
function failure(deps: WorkerDeps, dependency: string, error: unknown): { state: string; error?: string } {
  deps.log.warn({ err: error, dependency }, "health check failed");
  const { state, detail } = describeDependencyFailure(error, deps.config.NODE_ENV === "development");
  return detail === undefined ? { state } : { state, error: detail };
}

export async function healthReport(source: HealthSource): Promise<{ ok: boolean; unreachable: string[]; body: Record<string, unknown> }> {
  const { deps } = source;
  // Where Redis lives is for the operator's log outside development, not for whoever asks.
  const where = deps.config.NODE_ENV === "development" ? { url: describeRedisUrl(deps.config.REDIS_URL) } : {};
  const redis: Record<string, unknown> = { ...where, reachable: true };
  const postgres: Record<string, unknown> = { reachable: true };
  const queues: Record<string, unknown> = {};
  let scheduleStats: Record<string, string> = {};
  try {
    await withTimeout(deps.redis.ping(), checkTimeoutMs, "Redis");
    for (const [name, queue] of source.queues) {
      const counts = await withTimeout(
        queue.getJobCounts("waiting", "prioritized", "active", "delayed", "failed"),
        checkTimeoutMs,
        "Redis",
      );
      // Platform jobs always carry a priority, so BullMQ keeps them in "prioritized" until they run.
      queues[name] = {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      };
    }
    scheduleStats = await withTimeout(deps.redis.hgetall(scheduleStatsKey(deps.config.REDIS_KEY_PREFIX)), checkTimeoutMs, "Redis");
  } catch (error) {
    redis.reachable = false;
    Object.assign(redis, failure(deps, "Redis", error));
  }
  try {
    await withTimeout(deps.prisma.$queryRawUnsafe("SELECT 1"), checkTimeoutMs, "PostgreSQL");
  } catch (error) {
    postgres.reachable = false;
    Object.assign(postgres, failure(deps, "PostgreSQL", error));
  }
  let searchIndex: Record<string, unknown> | null = null;
  if (source.searchIndex) {
    searchIndex = { backend: source.searchIndex.backend, applied: source.searchIndex.applied() };
    try {
      // Lag: committed offer writes the search backend has not received yet (Postgres: always ~0).
      Object.assign(searchIndex, await withTimeout(source.searchIndex.lag(), checkTimeoutMs, "PostgreSQL"));
    } catch (error) {
      searchIndex.error = (error as Error).message;
    }
  }
  const scheduleReport: Record<string, unknown> = {};
  for (const { task } of schedules) {
    scheduleReport[task] = {
      everyMs: source.schedules[task] ?? null,
      runs: Number(scheduleStats[`${task}:runs`] ?? 0),
      lastRunAt: scheduleStats[`${task}:lastRunAt`] ?? null,
    };
  }
  const unreachable = [redis.reachable ? null : "Redis", postgres.reachable ? null : "PostgreSQL"].filter((name) => name !== null);
  const ok = unreachable.length === 0;
  return {
    ok,
    unreachable,
    body: {
      status: ok ? "ok" : "unavailable",
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
      consumes: source.consumed,
      redis,
      postgres,
      queues,
      schedules: scheduleReport,
      analyticsEventsDrained: source.drained(),
      auditEventsDrained: source.audited?.() ?? null,
      searchIndex,
    },
  };
}

export async function startHealthServer(source: HealthSource, port: number, host: string): Promise<RunningServer> {
  return listen(
    async (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (req.method === "GET" && path === "/metrics") return source.metrics.serve(res);
      if (req.method !== "GET" || path !== "/health")
        return sendErrorResponse(res, ErrorCode.NOT_FOUND, "Worker processes serve only GET /health and GET /metrics.");
      const { ok, unreachable, body } = await healthReport(source);
      if (ok) return sendJson(res, 200, body);
      // An unhealthy answer is an error answer like any other; the full report rides along.
      sendErrorResponse(res, ErrorCode.SERVICE_UNAVAILABLE, `This worker process cannot reach ${unreachable.join(" and ")}.`, {
        details: body,
      });
    },
    port,
    host,
    (error) => source.deps.log.error({ err: error }, "health request failed"),
  );
}

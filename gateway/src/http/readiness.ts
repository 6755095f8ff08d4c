/**
 * GET /health/ready, which HAProxy polls every 250 ms to decide whether this gateway gets traffic.
 * Three answers: `ready` (200), `degraded` (200: a non-critical subgraph such as reviews or jobs, or
 * Redis, is down; the gateway still serves partial results, so the balancer keeps sending) and
 * `unavailable` (503: a critical subgraph is down, nothing useful can be served). Taking a gateway
 * out of rotation for a dependency both gateways share would only turn a partial outage into a
 * total one, which is why only the critical subgraphs count.
 *
 * Subgraph probes go through the subgraph's circuit breaker: a failing probe counts towards opening
 * it, an open breaker is reported without probing, and once its half-open delay has passed a probe
 * is the request that closes it again, so a breaker recovers even when no client traffic arrives.
 * Detail is states and HTTP statuses only, never raw error text; outside development not even the
 * subgraphs' URLs, which go to the log with every change of a subgraph's state instead.
 */
import type { ServerResponse } from "node:http";
import { ErrorCode, sendErrorResponse, sendJson, type Logger } from "@agora/platform";
import { isBreakerOpen, type BreakerState, type SubgraphBreaker } from "../datasource/subgraph-breaker.js";
import { SubgraphCallError } from "../datasource/subgraph-errors.js";

export type DependencyState = "up" | "down" | "timeout" | "open";

export interface SubgraphReadiness {
  state: DependencyState;
  breaker: BreakerState;
  critical: boolean;
  /** Only in development. */
  url?: string;
  /** The HTTP status of the subgraph's own /health/ready, when it answered. */
  status?: number;
}

export interface ReadinessReport {
  status: "ready" | "degraded" | "unavailable";
  service: "gateway";
  subgraphs: Record<string, SubgraphReadiness>;
  redis?: { state: DependencyState };
}

export interface ReadinessOptions {
  /** GraphQL endpoint per subgraph; its /health/ready is probed. */
  subgraphs: Record<string, string>;
  breakers: Map<string, SubgraphBreaker>;
  /**
   * Subgraphs without which the gateway answers 503.
   * @defaultValue ["users", "offers"] (CRITICAL_SUBGRAPHS)
   */
  critical: readonly string[];
  /**
   * Longest wait for each probe; keep it below the balancer's check timeout.
   * @defaultValue 500 (READINESS_PROBE_TIMEOUT_MS)
   */
  probeTimeoutMs: number;
  /** Redis, reported and counted as non-critical (rate limits fail open on reads without it). */
  redis?: { ping(): Promise<unknown> };
  /**
   * Whether the report shows the subgraphs' URLs (development).
   * @defaultValue false
   */
  exposeDetails?: boolean;
  /** Where changes of a dependency's state are logged, with its URL. */
  log?: Pick<Logger, "info" | "warn">;
}

const healthUrlOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, "") + "/health/ready";

async function probeSubgraph(service: string, url: string, breaker: SubgraphBreaker | undefined, timeoutMs: number) {
  const healthUrl = healthUrlOf(url);
  const check = async (): Promise<number> => {
    let response: Response;
    try {
      response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      throw new SubgraphCallError(service, healthUrl, timedOut ? "timeout" : "refused");
    }
    await response.body?.cancel();
    if (!response.ok) throw new SubgraphCallError(service, healthUrl, "status", response.status);
    return response.status;
  };
  // A failed or timed-out probe counts like a failed request. Under traffic, every successful
  // request resets the count, so only a subgraph that fails everything opens its breaker this way.
  // Half-open: a client request is the probe right now; waiting for its verdict could outlast the
  // balancer's check timeout and take this whole gateway out of rotation.
  if (breaker?.state() === "half-open") return { state: "open" as const };
  try {
    const status = await (breaker ? breaker.execute(check) : check());
    return { state: "up" as const, status };
  } catch (error) {
    if (isBreakerOpen(error)) return { state: "open" as const };
    if (error instanceof SubgraphCallError) {
      return {
        state: error.failure === "timeout" ? ("timeout" as const) : ("down" as const),
        ...(error.status ? { status: error.status } : {}),
      };
    }
    return { state: "down" as const };
  }
}

async function probeRedis(redis: { ping(): Promise<unknown> }, timeoutMs: number): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyState>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([
      redis.ping().then(
        (): DependencyState => "up",
        (): DependencyState => "down",
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function createReadiness(options: ReadinessOptions) {
  let inFlight: Promise<ReadinessReport> | undefined;
  const lastState = new Map<string, DependencyState>();
  /** Logs a dependency's state when it changes (the balancer polls 4 times a second). */
  const note = (dependency: string, state: DependencyState, url: string) => {
    const previous = lastState.get(dependency);
    lastState.set(dependency, state);
    if (previous === state || (previous === undefined && state === "up")) return;
    const level = state === "up" ? "info" : "warn";
    options.log?.[level]({ dependency, state, url }, `readiness: ${dependency} is ${state}`);
  };

  const check = async (): Promise<ReadinessReport> => {
    const [subgraphs, redis] = await Promise.all([
      Promise.all(
        Object.entries(options.subgraphs).map(async ([service, url]) => {
          const breaker = options.breakers.get(service);
          const probe = await probeSubgraph(service, url, breaker, options.probeTimeoutMs);
          note(service, probe.state, url);
          const report: SubgraphReadiness = {
            ...probe,
            breaker: breaker?.state() ?? "closed",
            critical: options.critical.includes(service),
            ...(options.exposeDetails ? { url } : {}),
          };
          return [service, report] as const;
        }),
      ),
      options.redis ? probeRedis(options.redis, options.probeTimeoutMs) : undefined,
    ]);
    if (redis) note("redis", redis, "REDIS_URL");
    const all = Object.fromEntries(subgraphs);
    const down = subgraphs.filter(([, s]) => s.state !== "up");
    const status = down.some(([, s]) => s.critical)
      ? "unavailable"
      : down.length > 0 || (redis !== undefined && redis !== "up")
        ? "degraded"
        : "ready";
    return { status, service: "gateway", subgraphs: all, ...(redis ? { redis: { state: redis } } : {}) };
  };

  return {
    /** One probe round at a time: concurrent callers (two balancers, a test) share its answer. */
    check(): Promise<ReadinessReport> {
      inFlight ??= check().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    /** 200 with the report when ready or degraded; 503 in the one error shape, the report in `extensions`. */
    async serve(res: ServerResponse): Promise<void> {
      const report = await this.check();
      const headers = { "cache-control": "no-store" };
      if (report.status !== "unavailable") return sendJson(res, 200, report, headers);
      const down = Object.entries(report.subgraphs)
        .filter(([, s]) => s.critical && s.state !== "up")
        .map(([name]) => name);
      sendErrorResponse(res, ErrorCode.SERVICE_UNAVAILABLE, `Not ready: the ${down.join(", ")} subgraph is not available.`, {
        details: { ...report },
        headers,
      });
    },
  };
}
export type Readiness = ReturnType<typeof createReadiness>;

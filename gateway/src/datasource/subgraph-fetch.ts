/**
 * The one way the gateway calls a subgraph: a deadline per subgraph combined with the caller's own
 * abort signal (a client that disconnects stops its subgraph calls too), the subgraph's circuit
 * breaker, and retries that can never run anything twice: only queries, and only when the
 * connection failed before a byte was sent (refused, unknown host). Federation's own data source
 * disables retries for the same reason; a mutation is never retried, whatever failed.
 */
import { setTimeout as delay } from "node:timers/promises";
import { isBreakerOpen, type SubgraphBreaker } from "./subgraph-breaker.js";
import { CallerAbortedError, SubgraphCallError, failedBeforeSend, isUnavailableStatus } from "./subgraph-errors.js";

export interface SubgraphCall {
  /** Aborted when the client's request is gone; combined with the subgraph's deadline. */
  signal?: AbortSignal | undefined;
  /** Whether the request is a query (may be sent again when its connection never opened). */
  retryable: boolean;
}

export interface SubgraphFetchOptions {
  service: string;
  /**
   * Deadline of one attempt, from sending the request to having read the whole answer.
   * @defaultValue 10000 (SUBGRAPH_TIMEOUT_MS, per subgraph SUBGRAPH_TIMEOUTS_MS)
   */
  timeoutMs: number;
  /**
   * Extra attempts of a retryable call whose connection failed before anything was sent.
   * @defaultValue 1 (SUBGRAPH_CONNECT_RETRIES)
   */
  connectRetries: number;
  breaker: SubgraphBreaker;
  /** Called before each retry (metrics). */
  onRetry?: () => void;
}

export type SubgraphFetch = (url: string, init: RequestInit, call: SubgraphCall) => Promise<Response>;

export function createSubgraphFetch(options: SubgraphFetchOptions): SubgraphFetch {
  const { service, timeoutMs, connectRetries, breaker } = options;

  const attempt = async (url: string, init: RequestInit, call: SubgraphCall): Promise<Response> => {
    for (let retry = 0; ; retry++) {
      if (call.signal?.aborted) throw new CallerAbortedError();
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = call.signal ? AbortSignal.any([deadline, call.signal]) : deadline;
      try {
        const response = await fetch(url, { ...init, signal });
        if (isUnavailableStatus(response.status)) {
          await response.body?.cancel();
          throw new SubgraphCallError(service, url, "status", response.status);
        }
        // Read the whole body under the same deadline, so a subgraph that sends headers and then
        // stalls is a timeout counted by the breaker, not a request hanging in the planner.
        const body = await response.arrayBuffer();
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      } catch (error) {
        if (error instanceof SubgraphCallError) throw error;
        if (call.signal?.aborted) throw new CallerAbortedError();
        if (deadline.aborted) throw new SubgraphCallError(service, url, "timeout");
        if (failedBeforeSend(error)) {
          if (call.retryable && retry < connectRetries) {
            options.onRetry?.();
            // A moment for a restarting subgraph (or the next address behind its name) to answer.
            await delay(50 * (retry + 1));
            continue;
          }
          throw new SubgraphCallError(service, url, "refused");
        }
        // The connection broke after the request may have been sent: never repeated.
        throw new SubgraphCallError(service, url, "reset");
      }
    }
  };

  // A caller's abort is not handled by the breaker's policy, so it neither opens the breaker nor
  // resets its count; cockatiel treats it as a success only when it ends a half-open probe, after
  // which the next failures open the breaker again.
  return async (url, init, call) => {
    try {
      return await breaker.execute(() => attempt(url, init, call));
    } catch (error) {
      if (isBreakerOpen(error)) throw new SubgraphCallError(service, url, "open");
      throw error;
    }
  };
}

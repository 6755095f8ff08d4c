/**
 * What can go wrong between the gateway and a subgraph, in the words a client and an operator need:
 * which service, which URL, and whether it was refused, too slow, answered 5xx or is being skipped
 * because its breaker is open. Raw error text (socket errors, stack traces) never reaches clients.
 */
import { AgoraError, ErrorCode } from "@agora/platform";

/** Why a subgraph call failed; also the state readiness reports for it. */
export type SubgraphFailure = "refused" | "reset" | "timeout" | "status" | "open";

/** Thrown by the subgraph fetch; counted by the breaker unless the caller went away. */
export class SubgraphCallError extends Error {
  constructor(
    readonly service: string,
    readonly url: string,
    readonly failure: SubgraphFailure,
    /** The HTTP status, when the subgraph answered 502, 503 or 504. */
    readonly status?: number,
  ) {
    super(`${service} ${failure}${status ? ` ${status}` : ""}`);
    this.name = "SubgraphCallError";
  }
}

/** The caller (client) went away or gave up: not the subgraph's fault, so the breaker ignores it. */
export class CallerAbortedError extends Error {
  constructor() {
    super("The request was abandoned by its caller.");
    this.name = "CallerAbortedError";
  }
}

/**
 * Error codes (undici's `cause.code`) that mean the TCP connection was never established, so the
 * request cannot have reached the subgraph: the only failures a mutation-free retry may repeat.
 */
const neverConnected = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

export function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "";
}

/** True when nothing of the request can have been sent: safe to try again, even in theory. */
export function failedBeforeSend(error: unknown): boolean {
  return neverConnected.has(errorCode(error));
}

/** Statuses a proxy or a stopping server answers: the subgraph is (momentarily) not there. */
export function isUnavailableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** The breaker counts subgraph failures, never a caller that gave up. */
export function countsAgainstSubgraph(error: unknown): boolean {
  return error instanceof SubgraphCallError;
}

/**
 * The GraphQL error a client sees: SERVICE_UNAVAILABLE naming the service and the URL tried, with
 * `extensions.service` and `extensions.reason` for programs.
 */
export function serviceUnavailableError(
  service: string,
  url: string,
  failure: SubgraphFailure,
  detail: { timeoutMs?: number; status?: number } = {},
): AgoraError {
  const why: Record<SubgraphFailure, string> = {
    refused: `is unavailable (tried ${url})`,
    reset: `closed the connection without an answer (tried ${url})`,
    timeout: `did not answer within ${detail.timeoutMs ?? "?"} ms (${url})`,
    status: `answered HTTP ${detail.status ?? "5xx"} (tried ${url})`,
    open: `is unavailable (tried ${url}; failing fast while it recovers)`,
  };
  return new AgoraError(ErrorCode.SERVICE_UNAVAILABLE, `The ${service} service ${why[failure]}.`, {
    service,
    reason: failure,
    ...(detail.status ? { status: detail.status } : {}),
  });
}

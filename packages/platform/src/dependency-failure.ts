/**
 * What a health or readiness answer may say about a dependency that failed. Raw driver errors
 * name hosts, ports, databases, SQL and library internals ("Can't reach database server at
 * 10.0.3.7:5432", "relation users.users does not exist"); outside development a caller learns only
 * a state, and the details go to the log.
 */

/** `timeout`: no answer in time; `unreachable`: no connection; `error`: it answered with a failure. */
export type DependencyState = "timeout" | "unreachable" | "error";

export interface DependencyFailure {
  state: DependencyState;
  /** The raw error message: only when details are exposed (development). */
  detail?: string;
}

const timeoutCodes = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "P1008", "P2024"]);
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "P1001",
  "P1017",
]);
const timeoutText = /TimeoutError|timed? ?out|did not answer within|aborted due to timeout/i;
// ioredis gives up on a command without a connection with MaxRetriesPerRequestError, and fails
// queued ones with "Connection is closed" / "Stream isn't writeable".
const unreachableText =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|Can't reach database server|MaxRetriesPerRequestError|max retries per request|Connection is closed|Stream isn't writeable|fetch failed|socket hang up/i;

function classify(error: unknown): DependencyState {
  // Node's fetch and the drivers wrap the socket error: look along the cause chain.
  let state: DependencyState = "error";
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { name, code, message } = current as { name?: unknown; code?: unknown; message?: unknown };
    const text = `${String(name ?? "")} ${String(message ?? "")}`;
    if (timeoutCodes.has(String(code)) || timeoutText.test(text)) return "timeout";
    if (unreachableCodes.has(String(code)) || unreachableText.test(text)) state = "unreachable";
    current = (current as { cause?: unknown }).cause;
  }
  return state;
}

/** The state of a failed dependency check, plus its raw message only when `exposeDetails`. */
export function describeDependencyFailure(error: unknown, exposeDetails: boolean): DependencyFailure {
  const state = classify(error);
  return exposeDetails ? { state, detail: error instanceof Error ? error.message : String(error) } : { state };
}

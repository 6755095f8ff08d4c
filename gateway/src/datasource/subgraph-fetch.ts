/**
 * The one way the gateway calls a subgraph: a deadline per subgraph combined with the caller's own
 * abort signal (a client that disconnects stops its subgraph calls too), the subgraph's circuit
 * breaker, and retries that can never run anything twice: only queries, and only when the
 * connection failed before a byte was sent (refused, unknown host). Federation's own data source
 * disables retries for the same reason; a mutation is never retried, whatever failed.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { setTimeout as delay } from "node:timers/promises";
import { injectTraceHeaders, runInSpan } from "@agora/platform";
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

/** The part of a fetch `Response` the gateway's data source reads; the body is already in memory. */
export type SubgraphResponse = Pick<Response, "ok" | "status" | "statusText" | "url" | "headers" | "json" | "text" | "arrayBuffer">;

export type SubgraphFetch = (url: string, init: RequestInit, call: SubgraphCall) => Promise<SubgraphResponse>;

const utf8 = new TextDecoder();

class BufferedResponse implements SubgraphResponse {
  #headers: Headers | undefined;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    private readonly rawHeaders: IncomingHttpHeaders,
    private readonly body: Buffer,
  ) {}
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  get headers(): Headers {
    if (!this.#headers) {
      this.#headers = new Headers();
      for (const [name, value] of Object.entries(this.rawHeaders)) {
        if (value !== undefined) this.#headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
    }
    return this.#headers;
  }
  async text() {
    return utf8.decode(this.body);
  }
  async json() {
    return JSON.parse(utf8.decode(this.body)) as unknown;
  }
  async arrayBuffer() {
    return new Uint8Array(this.body).buffer;
  }
}

/** Apollo's data source passes a plain object; anything else a fetch accepts is converted. */
function headersOf(init: RequestInit): Record<string, string> {
  const given = init.headers;
  if (!given || (typeof given === "object" && !Array.isArray(given) && !(given instanceof Headers))) {
    return { ...(given as Record<string, string> | undefined) };
  }
  const headers: Record<string, string> = {};
  new Headers(given).forEach((value, name) => (headers[name] = value));
  return headers;
}

/**
 * One request over node:http with a keep-alive agent, the whole answer read into memory. Not the
 * global `fetch`: undici's fetch and the web streams and `Response` around it cost about 150 µs of
 * CPU per subgraph call, this about 60 µs (bench/results/profiles/README.md). Never follows redirects.
 * With tracing on it is a CLIENT span whose `traceparent` the subgraph continues (the undici
 * instrumentation does this for `fetch`, and sees nothing of node:http); off, both calls are no-ops.
 */
function send(
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  agents: { http: HttpAgent; https: HttpsAgent },
): Promise<BufferedResponse> {
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array))
    throw new TypeError("A subgraph request body is a string or bytes.");
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const headers = headersOf(init);
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const method = init.method ?? "GET";
  const attributes = { "http.request.method": method, "url.full": url, "server.address": target.hostname };
  return runInSpan(method, { kind: "client", attributes }, () => {
    injectTraceHeaders(headers);
    return transmit(url, target, secure, method, headers, body, signal, agents);
  });
}

function transmit(
  url: string,
  target: URL,
  secure: boolean,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal,
  agents: { http: HttpAgent; https: HttpsAgent },
): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      { method, headers, agent: secure ? agents.https : agents.http, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        // Cut off mid-body without an `error` (no-op once `end` has resolved).
        response.on("close", () => response.complete || reject(new Error("The subgraph's answer ended early.")));
        response.on("end", () =>
          resolve(
            new BufferedResponse(url, response.statusCode ?? 0, response.statusMessage ?? "", response.headers, Buffer.concat(chunks)),
          ),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

export function createSubgraphFetch(options: SubgraphFetchOptions): SubgraphFetch {
  const { service, timeoutMs, connectRetries, breaker } = options;
  // Connections to the subgraph stay open between calls; Node (24.7+) closes an idle one a second
  // before the keep-alive timeout the subgraph announces in its Keep-Alive header.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const attempt = async (url: string, init: RequestInit, call: SubgraphCall): Promise<SubgraphResponse> => {
    for (let retry = 0; ; retry++) {
      if (call.signal?.aborted) throw new CallerAbortedError();
      // One controller and one cleared timer: AbortSignal.timeout/any leave a timer and a composite
      // signal behind per call, which showed in the profile (timers, GC).
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onCallerAbort = () => controller.abort();
      call.signal?.addEventListener("abort", onCallerAbort, { once: true });
      try {
        // The whole body is read under the same deadline, so a subgraph that sends headers and then
        // stalls is a timeout counted by the breaker, not a request hanging in the planner.
        const response = await send(url, init, controller.signal, agents);
        if (isUnavailableStatus(response.status)) throw new SubgraphCallError(service, url, "status", response.status);
        return response;
      } catch (error) {
        if (error instanceof SubgraphCallError) throw error;
        if (call.signal?.aborted) throw new CallerAbortedError();
        if (timedOut) throw new SubgraphCallError(service, url, "timeout");
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
      } finally {
        clearTimeout(timer);
        call.signal?.removeEventListener("abort", onCallerAbort);
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

/**
 * What a log line needs to know about the request it was written for, without passing it down:
 * an AsyncLocalStorage entered by the HTTP listener (http-server.ts) and by the worker around a
 * job (the request id that queued it travels with the job's trace context).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface RequestScope {
  /** The caller's `x-request-id` (the gateway forwards its own to every subgraph), else a new one. */
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const requestIdHeader = "x-request-id";
/** Longest request id taken from a caller; longer ones are cut, so a client cannot bloat every log line. */
const maxRequestIdLength = 100;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[requestIdHeader];
  return typeof given === "string" && given.length > 0 ? given.slice(0, maxRequestIdLength) : randomUUID();
}

export function runInRequestScope<T>(scope: RequestScope, run: () => T): T {
  return storage.run(scope, run);
}

/** The request id of the request (or job) being served, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

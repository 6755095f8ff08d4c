/**
 * An AbortSignal per client request, aborted when the client's connection closes before the answer
 * was written. The data source combines it with each subgraph's deadline, so a client that gave up
 * stops costing the subgraphs anything.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

// The signal is made on first use: a request answered without reaching a subgraph (a cache hit,
// a health check, a refusal) never pays for an AbortController and a close listener.
const responses = new WeakMap<IncomingMessage, ServerResponse>();
const signals = new WeakMap<IncomingMessage, AbortSignal>();

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function withRequestSignal(handler: Handler): Handler {
  return (req, res) => {
    responses.set(req, res);
    return handler(req, res);
  };
}

/** The request's signal, when the handler was wrapped by `withRequestSignal`. */
export function requestSignal(req: IncomingMessage): AbortSignal | undefined {
  const made = signals.get(req);
  if (made) return made;
  const res = responses.get(req);
  if (!res) return undefined;
  const controller = new AbortController();
  signals.set(req, controller.signal);
  if (res.closed) {
    if (!res.writableFinished) controller.abort();
  } else {
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
  }
  return controller.signal;
}

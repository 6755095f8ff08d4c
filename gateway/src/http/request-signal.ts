/**
 * An AbortSignal per client request, aborted when the client's connection closes before the answer
 * was written. The data source combines it with each subgraph's deadline, so a client that gave up
 * stops costing the subgraphs anything.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const signals = new WeakMap<IncomingMessage, AbortSignal>();

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function withRequestSignal(handler: Handler): Handler {
  return (req, res) => {
    const controller = new AbortController();
    signals.set(req, controller.signal);
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    return handler(req, res);
  };
}

/** The request's signal, when the handler was wrapped by `withRequestSignal`. */
export function requestSignal(req: IncomingMessage): AbortSignal | undefined {
  return signals.get(req);
}

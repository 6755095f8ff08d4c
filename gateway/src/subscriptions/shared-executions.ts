/**
 * How subscription events become queries through the gateway, with two protections:
 *
 * - One event reaches every subscription listening on its channel at the same moment;
 *   subscriptions of the same identity with the same query and variables share one execution
 *   while it is in flight (same caller, same document, same instant: the same result). Nothing is
 *   cached beyond that.
 * - At most `maxConcurrent` executions run at once, the rest wait their turn: an event fanned out
 *   to a thousand subscribers must not open a thousand requests to the subgraphs at once (their
 *   connection pools time out and everyone gets an error instead of a late payload).
 */
import type { ExecutionResult } from "graphql";
import type { Identity } from "@agora/platform";

export type Execute = (identity: Identity, query: string, variables: Record<string, unknown>) => Promise<ExecutionResult>;

export function sharedExecutions(execute: Execute, maxConcurrent: number): Execute {
  const inFlight = new Map<string, Promise<ExecutionResult>>();
  const waiting: (() => void)[] = [];
  let running = 0;
  const slot = async () => {
    if (running >= maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return (identity, query, variables) => {
    const key = JSON.stringify([identity.userId, identity.role, query, variables]);
    const existing = inFlight.get(key);
    if (existing) return existing;
    const started = (async () => {
      await slot();
      try {
        return await execute(identity, query, variables);
      } finally {
        release();
      }
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}

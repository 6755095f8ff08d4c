/**
 * One event reaches every subscription listening on its channel at the same moment; subscriptions
 * of the same identity with the same query and variables would each run the same query through
 * the gateway. They share one execution instead, while it is in flight: the result is the one each
 * would have got (same caller, same document, same instant), and nothing is cached beyond that.
 */
import type { ExecutionResult } from "graphql";
import type { Identity } from "@agora/platform";

export type Execute = (identity: Identity, query: string, variables: Record<string, unknown>) => Promise<ExecutionResult>;

export function sharedExecutions(execute: Execute): Execute {
  const inFlight = new Map<string, Promise<ExecutionResult>>();
  return (identity, query, variables) => {
    const key = JSON.stringify([identity.userId, identity.role, query, variables]);
    const running = inFlight.get(key);
    if (running) return running;
    const started = execute(identity, query, variables).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}

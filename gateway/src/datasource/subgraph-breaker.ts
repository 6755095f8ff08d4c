/**
 * One circuit breaker per subgraph (cockatiel). After `failureThreshold` consecutive failures the
 * breaker opens and calls fail at once with SERVICE_UNAVAILABLE instead of each waiting for a
 * refused connection or a timeout; after `halfOpenAfterMs` the next call (a client request or a
 * readiness probe) is let through as a probe, and its success closes the breaker again without
 * anyone's intervention. Every state change is logged and counted on /metrics.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "@agora/platform";
import { countsAgainstSubgraph } from "./subgraph-errors.js";

export type BreakerState = "closed" | "open" | "half-open";

export interface SubgraphBreakerOptions {
  /**
   * Consecutive failures that open the breaker.
   * @defaultValue 5
   */
  failureThreshold?: number;
  /**
   * How long an open breaker fails fast before letting one probe through.
   * @defaultValue 5000
   */
  halfOpenAfterMs?: number;
}

export interface SubgraphBreaker {
  readonly service: string;
  state(): BreakerState;
  /** Runs `fn` unless the breaker is open (then throws cockatiel's BrokenCircuitError). */
  execute<T>(fn: () => Promise<T>): Promise<T>;
}

/** Gauge value per state, documented in the metric's help. */
const stateValue: Record<BreakerState, number> = { closed: 0, open: 1, "half-open": 2 };

function toState(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.HalfOpen:
      return "half-open";
    case CircuitState.Open:
    case CircuitState.Isolated:
      return "open";
  }
}

/** The breakers of all subgraphs, sharing their metrics. */
export function createSubgraphBreakers(
  services: readonly string[],
  options: SubgraphBreakerOptions,
  registry: Registry,
  log: Logger,
): Map<string, SubgraphBreaker> {
  const gauge = new Gauge({
    name: "agora_gateway_subgraph_breaker_state",
    help: "Circuit breaker state per subgraph: 0 closed, 1 open, 2 half-open",
    labelNames: ["subgraph"],
    registers: [registry],
  });
  const transitions = new Counter({
    name: "agora_gateway_subgraph_breaker_transitions_total",
    help: "Circuit breaker state changes per subgraph, by the state entered",
    labelNames: ["subgraph", "state"],
    registers: [registry],
  });
  const breakers = new Map<string, SubgraphBreaker>();
  for (const service of services) {
    const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(countsAgainstSubgraph), {
      breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
      halfOpenAfter: options.halfOpenAfterMs ?? 5000,
    });
    gauge.set({ subgraph: service }, stateValue.closed);
    // Present from the start so dashboards and alerts see a zero rather than no series.
    for (const state of Object.keys(stateValue)) transitions.inc({ subgraph: service, state }, 0);
    policy.onStateChange((raw) => {
      const state = toState(raw);
      gauge.set({ subgraph: service }, stateValue[state]);
      transitions.inc({ subgraph: service, state });
      const level = state === "open" ? "warn" : "info";
      log[level]({ subgraph: service, breaker: state }, `circuit breaker of ${service} is ${state}`);
    });
    breakers.set(service, {
      service,
      state: () => toState(policy.state),
      execute: (fn) => policy.execute(() => fn()),
    });
  }
  return breakers;
}

/** True for the error an open breaker throws instead of running the call. */
export function isBreakerOpen(error: unknown): boolean {
  return error instanceof BrokenCircuitError;
}

/**
 * Per-subgraph fetches at the gateway: rate, errors and duration of every request the query plan
 * sends to a subgraph. One federated operation fans out into several fetches, so this is what tells
 * which subgraph made a slow or failing operation slow or failing.
 *
 * `instrumentSubgraphFetch` wraps a data source's `process` (RemoteGraphQLDataSource or any
 * subclass), so it needs nothing from the data source's internals and stays outside them.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { latencyBuckets } from "../metrics.js";

/**
 * `ok`: an answer without errors; `error`: an answer carrying GraphQL errors; `unavailable`: no
 * usable answer (refused, timed out, circuit open, not JSON).
 */
export type SubgraphFetchOutcome = "ok" | "error" | "unavailable";

export interface SubgraphFetchMetrics {
  /** Records one fetch to `subgraph` that took `seconds`. */
  observe(subgraph: string, outcome: SubgraphFetchOutcome, seconds: number): void;
}

export function createSubgraphFetchMetrics(registry: Registry): SubgraphFetchMetrics {
  const fetches = new Counter({
    name: "agora_subgraph_fetches_total",
    help: "Requests from the gateway to a subgraph, by subgraph and outcome (ok, error, unavailable)",
    labelNames: ["subgraph", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "agora_subgraph_fetch_duration_seconds",
    help: "Duration of a gateway-to-subgraph request, by subgraph and outcome",
    labelNames: ["subgraph", "outcome"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  return {
    observe(subgraph, outcome, seconds) {
      fetches.inc({ subgraph, outcome });
      duration.observe({ subgraph, outcome }, seconds);
    },
  };
}

interface ProcessingDataSource {
  process(options: never): Promise<{ errors?: readonly unknown[] | null | undefined }>;
}

/** Times every `process` call of `source` as a fetch to `subgraph`; returns the same object. */
export function instrumentSubgraphFetch<T extends ProcessingDataSource>(subgraph: string, source: T, metrics: SubgraphFetchMetrics): T {
  const process = source.process.bind(source) as (options: unknown) => ReturnType<T["process"]>;
  const instrumented = async (options: unknown) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await process(options);
      metrics.observe(subgraph, response.errors?.length ? "error" : "ok", seconds());
      return response;
    } catch (error) {
      metrics.observe(subgraph, "unavailable", seconds());
      throw error;
    }
  };
  Object.defineProperty(source, "process", { value: instrumented, configurable: true, writable: true });
  return source;
}

/**
 * The Prometheus registry of one service process, served at GET /metrics, and the RED metrics of
 * its GraphQL operations (gateway and subgraphs alike).
 *
 * Naming, shared by every service and worker: `agora_` prefix, base units (`_seconds`, `_bytes`),
 * counters end in `_total`; label names come from one small set (`service`, `operation`,
 * `subgraph`, `queue`, `outcome`, plus `state`, `pool`, `dependency` where those say more).
 * Every label value is bounded: operation names are capped (see operation-names.ts), never raw
 * query text.
 */
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ServerResponse } from "node:http";
import { createOperationNames, type OperationNameOptions } from "./metrics/operation-names.js";
import { outcomeOf, type CodedError } from "./metrics/outcome.js";

/**
 * Latency buckets in seconds. 0.2 is a boundary on purpose: the federated-query SLO is
 * p95 < 200 ms, so the alert and the dashboards read that bucket exactly instead of interpolating.
 */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions extends OperationNameOptions {
  /**
   * Collect prom-client's default process metrics (CPU, memory, event loop lag, GC, handles).
   * @defaultValue true
   */
  processMetrics?: boolean;
}

/** One Prometheus registry per service process, served at GET /metrics; every series carries `service`. */
export function createMetrics(service: string, options: MetricsOptions = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "agora_graphql_requests_total",
    help: "GraphQL operations handled, by operation name and outcome (ok, client_error, server_error)",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "agora_graphql_request_duration_seconds",
    help: "GraphQL operation duration from request start to response, by operation name and outcome",
    labelNames: ["operation", "outcome"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  return {
    registry,
    requests,
    duration,
    operationNames: createOperationNames(options),
    async serve(res: ServerResponse) {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(body);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** Counts and times every GraphQL operation by (bounded) name and outcome. */
export function metricsPlugin<TContext extends BaseContext>(metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const end = metrics.duration.startTimer();
      return {
        async willSendResponse({ operationName, errors, response }) {
          // Errors raised while executing sit in the response body, those before it in `errors`.
          const body = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          const all: readonly CodedError[] = [...(errors ?? []), ...(body ?? [])];
          const labels = { operation: metrics.operationNames.label(operationName), outcome: outcomeOf(all) };
          end(labels);
          metrics.requests.inc(labels);
        },
      };
    },
  };
}

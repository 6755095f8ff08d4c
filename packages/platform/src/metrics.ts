import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ServerResponse } from "node:http";

/** One Prometheus registry per service process, served at GET /metrics. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "agora_graphql_requests_total",
    help: "GraphQL operations handled",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "agora_graphql_request_duration_seconds",
    help: "GraphQL operation duration",
    labelNames: ["operation"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    requests,
    duration,
    async serve(res: ServerResponse) {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** Counts and times every GraphQL operation by name (gateway and subgraphs alike). */
export function metricsPlugin<TContext extends BaseContext>(metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const end = metrics.duration.startTimer();
      return {
        async willSendResponse({ operationName, errors }) {
          const operation = operationName ?? "anonymous";
          end({ operation });
          metrics.requests.inc({ operation, outcome: errors?.length ? "error" : "ok" });
        },
      };
    },
  };
}

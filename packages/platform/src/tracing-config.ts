/**
 * The OpenTelemetry variables every service honours, with their standard names and meanings
 * (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables). Kept apart from
 * config.ts so tracing.ts can validate them before anything else of the platform is loaded.
 */
import { z } from "zod";

export const traceSamplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

export const tracingEnv = {
  /**
   * `otlp` turns tracing on (OTLP over HTTP); `none` loads no SDK at all.
   * @defaultValue none
   */
  OTEL_TRACES_EXPORTER: z.enum(["none", "otlp"]).default("none"),
  /**
   * Base URL of the OTLP/HTTP receiver (`/v1/traces` is appended); read by the exporter itself.
   * @defaultValue http://localhost:4318
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /**
   * Full URL for traces, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT.
   * @defaultValue OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces
   */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /**
   * Body encoding of OTLP/HTTP: `http/protobuf` or `http/json` (gRPC is not supported).
   * @defaultValue http/protobuf
   */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["http/protobuf", "http/json"]).optional(),
  /** Same as OTEL_EXPORTER_OTLP_PROTOCOL, for traces only (wins). @defaultValue OTEL_EXPORTER_OTLP_PROTOCOL */
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(["http/protobuf", "http/json"]).optional(),
  /**
   * Which traces are kept; `parentbased_*` follows the caller's decision (a gateway's choice holds
   * for every subgraph and worker span of the request).
   * @defaultValue parentbased_traceidratio
   */
  OTEL_TRACES_SAMPLER: z.enum(traceSamplers).default("parentbased_traceidratio"),
  /** The ratio of the `*traceidratio` samplers, 0..1. @defaultValue 1.0 */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  /** `service.name` of the spans. @defaultValue the service: gateway, users, offers, reviews, jobs, workers */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Milliseconds between two exports of finished spans (batch span processor). @defaultValue 5000 */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(0).max(600_000).default(5000),
};

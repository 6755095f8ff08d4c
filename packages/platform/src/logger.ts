/**
 * pino, one logger per process. Every line carries `trace_id`/`span_id` of the active span (when
 * tracing is on) and `request_id` of the request or job being served (request-scope.ts), so a line
 * leads to its trace in Jaeger and to the other services' lines for the same request.
 *
 * LOG_FORMAT `pretty` (the default in development) writes coloured, readable lines through
 * pino-pretty in-process; `json` (the default otherwise) writes one JSON object per line for log
 * shippers. pino-pretty is loaded only for `pretty`.
 */
import { createRequire } from "node:module";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger } from "pino";
import { currentRequestId } from "./request-scope.js";

export type { Logger };

export type LogFormat = "pretty" | "json";

export interface LoggerOptions {
  /** @defaultValue LOG_FORMAT, else `pretty` when NODE_ENV is development (or unset), `json` otherwise */
  format?: LogFormat;
  /** Where lines go (tests). @defaultValue stdout */
  destination?: DestinationStream;
}

/** The fields added to every line (a new object each time: pino merges the line's own fields into it). */
export function logContext(): { trace_id?: string; span_id?: string; request_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  const requestId = currentRequestId();
  const fields: { trace_id?: string; span_id?: string; request_id?: string } = {};
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  if (requestId) fields.request_id = requestId;
  return fields;
}

export function defaultLogFormat(env: Record<string, string | undefined> = process.env): LogFormat {
  if (env.LOG_FORMAT === "pretty" || env.LOG_FORMAT === "json") return env.LOG_FORMAT;
  return (env.NODE_ENV ?? "development") === "development" ? "pretty" : "json";
}

function prettyStream(destination?: DestinationStream): DestinationStream {
  const pretty = createRequire(import.meta.url)("pino-pretty") as (options: object) => DestinationStream;
  return pretty({
    colorize: !destination && (process.stdout.isTTY ?? false),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
    ...(destination ? { destination } : {}),
  });
}

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info", options: LoggerOptions = {}): Logger {
  const format = options.format ?? defaultLogFormat();
  const destination = format === "pretty" ? prettyStream(options.destination) : options.destination;
  const settings = { name: service, level, base: { service }, mixin: logContext };
  return destination ? pino(settings, destination) : pino(settings);
}

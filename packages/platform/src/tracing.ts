/**
 * OpenTelemetry tracing, off unless `OTEL_TRACES_EXPORTER=otlp` (tracing-config.ts).
 *
 * Every entry point (`src/index.ts` of the gateway, each subgraph and the workers) calls
 * `startTracing` first and only then imports the service (`await import("./main.js")`): when on,
 * the pg and ioredis instrumentations patch those modules as they load (require-in-the-middle for
 * CommonJS, import-in-the-middle's in-thread hooks for ES imports), which only works for modules
 * loaded afterwards. When off, none of the SDK is imported at all: this file's static imports are
 * `@opentelemetry/api` (whose calls are no-ops without a registered provider) and zod.
 *
 * What is traced, and why each way:
 * - incoming HTTP: a SERVER span per request, made here (`traceIncomingRequest`, called by the
 *   platform's listener) from the W3C `traceparent` header, instead of the http instrumentation,
 *   which needs module hooks on `node:http` that do not reach ES named imports reliably and would
 *   also trace health checks and scrapes;
 * - outgoing fetch (the gateway's subgraph calls, the reviews service's offer lookups): the undici
 *   instrumentation, which listens on Node's diagnostics channels (no module patching) and adds
 *   `traceparent` to the request;
 * - the gateway's REST proxy uses `http.request`: it injects the headers itself (`injectTraceHeaders`);
 * - `@apollo/gateway` emits gateway.request/plan/execute/fetch spans through `@opentelemetry/api`
 *   as soon as a provider is registered;
 * - SQL (Prisma 7 runs on `pg` through @prisma/adapter-pg) and Redis: pg and ioredis
 *   instrumentations, only inside a trace (`requireParentSpan`), so BullMQ's polling and the
 *   outbox relay's idle passes make no root spans;
 * - BullMQ: the request's context is stored with the job row (jobs.jobs.trace_context), the outbox
 *   relay's PRODUCER span runs under it and puts its own context into the BullMQ job's data, and
 *   the worker's CONSUMER span is its child (`runInSpan`).
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Tracer,
} from "@opentelemetry/api";
import type { IncomingMessage, ServerResponse } from "node:http";
// Types only: erased at build time, so nothing of the SDK loads unless tracing is on.
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace";
import { z } from "zod";
import { tracingEnv } from "./tracing-config.js";

export { tracingEnv, traceSamplers } from "./tracing-config.js";

export type TracingConfig = z.infer<z.ZodObject<typeof tracingEnv>>;

/**
 * The W3C trace context (and the request id) of a request, as stored with a job and carried in its
 * BullMQ data: plain strings, so it survives JSON in Postgres and Redis.
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  "x-request-id"?: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans finished so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops; called on SIGTERM by onTerminationSignal. */
  shutdown(): Promise<void>;
}

interface SpanSink {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const off: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };
let current: Tracing = off;
let tracerInstance: Tracer | undefined;

const tracer = (): Tracer => (tracerInstance ??= trace.getTracer("agora"));

/** Whether a provider is registered by `startTracing` in this process. */
export const tracingEnabled = (): boolean => current.enabled;

export function loadTracingConfig(env: Record<string, string | undefined> = process.env): TracingConfig {
  const result = z.object(tracingEnv).safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join(".")}: ${issue.message} (got ${JSON.stringify(env[String(issue.path[0])])})`,
    );
    throw new Error(`Invalid configuration:\n${lines.join("\n")}\nSee the configuration table in README.md.`);
  }
  return result.data;
}

export interface StartTracingOptions {
  env?: Record<string, string | undefined>;
  /**
   * Register import-in-the-middle's loader hooks for ES imports of pg and ioredis. Off where
   * modules are not loaded by Node's own loader (Jest's module registry).
   * @defaultValue true
   */
  hookModules?: boolean;
  /** Replaces the OTLP exporter (tests). @defaultValue OTLP/HTTP per OTEL_EXPORTER_OTLP_* */
  exporter?: SpanExporter;
}

/**
 * Registers the global tracer provider, propagator, context manager and instrumentations when
 * `OTEL_TRACES_EXPORTER=otlp`; otherwise loads nothing and returns a handle that does nothing.
 * Idempotent: a second call returns the first handle.
 */
export async function startTracing(service: string, options: StartTracingOptions = {}): Promise<Tracing> {
  if (current.enabled) return current;
  const config = loadTracingConfig(options.env ?? process.env);
  if (config.OTEL_TRACES_EXPORTER !== "otlp") return off;

  const [sdk, core, hooks, resources, instrumentation, undici, pg, ioredis] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/core"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/instrumentation"),
    import("@opentelemetry/instrumentation-undici"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/instrumentation-ioredis"),
  ]);
  if (options.hookModules ?? true) {
    const iitm = await import("import-in-the-middle/register-hooks.mjs");
    if (iitm.supportsSyncHooks()) iitm.register({ include: ["pg", "ioredis"] });
  }
  const exporter = options.exporter ?? (await otlpExporter(config));
  const ratio = config.OTEL_TRACES_SAMPLER_ARG;
  const samplers = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    parentbased_always_off: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
    parentbased_traceidratio: () => new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) }),
  } satisfies Record<TracingConfig["OTEL_TRACES_SAMPLER"], () => Sampler>;
  const processor = new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY });
  const provider = new sdk.TracerProvider({
    sampler: samplers[config.OTEL_TRACES_SAMPLER](),
    resource: resources.resourceFromAttributes({ "service.name": config.OTEL_SERVICE_NAME ?? service }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  tracerInstance = undefined;
  instrumentation.registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new undici.UndiciInstrumentation({ requireParentforSpans: true }),
      new pg.PgInstrumentation({ requireParentSpan: true }),
      new ioredis.IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  current = handle(provider);
  return current;
}

function handle(sink: SpanSink): Tracing {
  return {
    enabled: true,
    flush: () => sink.forceFlush(),
    shutdown: async () => {
      await sink.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      current = off;
      tracerInstance = undefined;
    },
  };
}

async function otlpExporter(config: TracingConfig): Promise<SpanExporter> {
  const protocol = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
  // Both read OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS from the environment themselves.
  if (protocol === "http/json") return new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter();
  return new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter();
}

/** Flushes and stops tracing if it was started; nothing when off. */
/**
 * What every entry point (src/index.ts) does: tracing first, then the service itself. `load`
 * imports it (`() => import("./main.js")`), so pg and ioredis load only after the instrumentations
 * are registered. A tracing setting that does not validate ends the process with its message.
 */
export async function startTracedService(service: string, load: () => Promise<unknown>): Promise<void> {
  try {
    await startTracing(service);
  } catch (error) {
    console.error(`${service}: ${(error as Error).message}`);
    process.exit(1);
  }
  await load();
}

export const shutdownTracing = (): Promise<void> => current.shutdown();

/** Health checks and scrapes come every few seconds from machines, not users: no trace each. */
const untraced = (method: string | undefined, path: string) => method === "GET" && (path.startsWith("/health/") || path === "/metrics");

/**
 * Runs `run` inside a SERVER span continuing the caller's `traceparent` (when tracing is on);
 * the span ends when the response is finished or the connection closes.
 */
export function traceIncomingRequest(req: IncomingMessage, res: ServerResponse, run: () => Promise<void>): Promise<void> {
  if (!current.enabled) return run();
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (untraced(req.method, path)) return run();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  // The first segment names the route (/graphql, /upload, /jobs, /files) without ids in it.
  const route = `/${path.split("/")[1] ?? ""}`;
  const span = tracer().startSpan(
    `${req.method ?? "GET"} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": req.method ?? "GET",
        "url.path": path,
        "http.route": route,
        "server.port": req.socket.localPort ?? 0,
        "network.peer.address": req.socket.remoteAddress ?? "",
      },
    },
    parent,
  );
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute("http.response.status_code", res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once("finish", end);
  res.once("close", end);
  return context.with(trace.setSpan(parent, span), run);
}

/** The active trace context (and request id) as strings to store with a job; null when there is neither. */
export function currentTraceCarrier(requestId?: string): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  if (current.enabled) propagation.inject(context.active(), carrier);
  if (requestId) carrier["x-request-id"] = requestId;
  return Object.keys(carrier).length > 0 ? carrier : null;
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing headers; nothing when off. */
export function injectTraceHeaders(headers: Record<string, string | string[]>): void {
  if (current.enabled) propagation.inject(context.active(), headers);
}

const isCarrier = (value: unknown): value is TraceCarrier => typeof value === "object" && value !== null && !Array.isArray(value);

export interface SpanOptions {
  kind: "client" | "producer" | "consumer" | "internal";
  attributes?: Attributes;
  /** Continue this stored context instead of the active one (a job run long after its request). */
  parent?: unknown;
}

const kinds = { client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER, internal: SpanKind.INTERNAL };

/** Runs `run` inside a span (when tracing is on); a thrown error marks the span and is rethrown. */
export async function runInSpan<T>(name: string, options: SpanOptions, run: () => Promise<T>): Promise<T> {
  if (!current.enabled) return run();
  const parent: Context = isCarrier(options.parent) ? propagation.extract(ROOT_CONTEXT, options.parent) : context.active();
  return tracer().startActiveSpan(name, { kind: kinds[options.kind], attributes: options.attributes ?? {} }, parent, async (span) => {
    try {
      return await run();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The request id stored with a job's trace context, if any. */
export const requestIdOfCarrier = (carrier: unknown): string | undefined =>
  isCarrier(carrier) && typeof carrier["x-request-id"] === "string" ? carrier["x-request-id"] : undefined;

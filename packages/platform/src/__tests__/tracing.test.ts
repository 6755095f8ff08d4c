/**
 * Tracing follows the standard OTEL_* variables: the sampler decides which traces are kept, a
 * caller's sampled traceparent wins with the parent-based samplers (so a trace the gateway keeps
 * is kept by every service), and a bad value stops the service naming the variable.
 */
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { listen, type RunningServer } from "../http-server.js";
import { currentRequestId } from "../request-scope.js";
import { runInSpan, startTracing, type Tracing } from "../tracing.js";

// A new one per test: shutting tracing down stops its exporter.
let exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  await tracing?.shutdown();
  exporter = new InMemorySpanExporter();
});

const start = async (env: Record<string, string>) => {
  tracing = await startTracing("test", { env: { OTEL_TRACES_EXPORTER: "otlp", ...env }, hookModules: false, exporter });
};

/** A server that answers with what the request saw: its active trace and request id. */
async function serve() {
  server = await listen(
    async (_req, res) => {
      const span = trace.getActiveSpan();
      res.end(
        JSON.stringify({
          traceId: span?.spanContext().traceId ?? null,
          recording: span?.isRecording() ?? false,
          requestId: currentRequestId(),
        }),
      );
    },
    0,
    "127.0.0.1",
  );
  return async (headers: Record<string, string> = {}) =>
    (await (await fetch(`${server!.url}/graphql`, { method: "POST", headers })).json()) as {
      traceId: string | null;
      recording: boolean;
      requestId: string;
    };
}

it("refuses an unknown sampler, naming the variable", async () => {
  await expect(startTracing("test", { env: { OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "sometimes" } })).rejects.toThrow(
    /OTEL_TRACES_SAMPLER/,
  );
});

it("always_off keeps nothing", async () => {
  await start({ OTEL_TRACES_SAMPLER: "always_off" });
  await runInSpan("dropped", { kind: "internal" }, async () => undefined);
  await tracing!.flush();
  expect(exporter.getFinishedSpans()).toEqual([]);
});

it("parentbased_traceidratio at 0 starts no trace of its own but continues a caller's sampled one", async () => {
  await start({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" });
  const call = await serve();
  expect(await call()).toMatchObject({ recording: false });
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const continued = await call({ traceparent: `00-${traceId}-b7ad6b7169203331-01`, "x-request-id": "req-42" });
  expect(continued).toEqual({ traceId, recording: true, requestId: "req-42" });
  await tracing!.flush();
  expect(exporter.getFinishedSpans().map((span) => [span.name, span.spanContext().traceId, span.parentSpanContext?.spanId])).toEqual([
    ["POST /graphql", traceId, "b7ad6b7169203331"],
  ]);
});

it("the default (ratio 1.0) traces every request and leaves health checks out", async () => {
  await start({});
  const call = await serve();
  expect(await call()).toMatchObject({ recording: true, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  await fetch(`${server!.url}/health/ready`);
  await tracing!.flush();
  expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(["POST /graphql"]);
});

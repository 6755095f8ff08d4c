/**
 * Log lines say which request and which trace they belong to, in the format the environment
 * wants: JSON for shippers, readable lines in a development terminal.
 */
import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { createLogger, defaultLogFormat } from "../logger.js";
import { runInRequestScope } from "../request-scope.js";
import { runInSpan, startTracing, type Tracing } from "../tracing.js";

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter(Boolean) };
}

describe("LOG_FORMAT", () => {
  it("is pretty in development, json otherwise, and LOG_FORMAT wins", () => {
    expect(defaultLogFormat({ NODE_ENV: "development" })).toBe("pretty");
    expect(defaultLogFormat({})).toBe("pretty");
    expect(defaultLogFormat({ NODE_ENV: "production" })).toBe("json");
    expect(defaultLogFormat({ NODE_ENV: "test" })).toBe("json");
    expect(defaultLogFormat({ NODE_ENV: "development", LOG_FORMAT: "json" })).toBe("json");
    expect(defaultLogFormat({ NODE_ENV: "production", LOG_FORMAT: "pretty" })).toBe("pretty");
  });

  it("pretty writes a readable line with the level, service and message, not JSON", async () => {
    const out = capture();
    const log = createLogger("users", "info", { format: "pretty", destination: out.stream });
    runInRequestScope({ requestId: "req-pretty" }, () => log.info({ userId: 7 }, "profile updated"));
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.lines().join("\n");
    expect(text).toMatch(/INFO.*\(users\).*profile updated/);
    expect(text).toMatch(/request_id: "req-pretty"/);
    expect(() => JSON.parse(out.lines()[0] ?? "")).toThrow();
  });
});

describe("request and trace ids on every line", () => {
  it("a line inside a request's scope carries its request_id; one outside carries neither id", () => {
    const out = capture();
    const log = createLogger("gateway", "info", { format: "json", destination: out.stream });
    runInRequestScope({ requestId: "req-1" }, () => log.info("inside"));
    log.info("outside");
    const [inside, outside] = out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ service: "gateway", msg: "inside", request_id: "req-1" });
    expect(outside).not.toHaveProperty("request_id");
    expect(outside).not.toHaveProperty("trace_id");
  });

  describe("with tracing on", () => {
    let tracing: Tracing;
    const exporter = new InMemorySpanExporter();
    beforeAll(async () => {
      tracing = await startTracing("test", { env: { OTEL_TRACES_EXPORTER: "otlp" }, hookModules: false, exporter });
    });
    afterAll(() => tracing.shutdown());

    it("a line written inside a span carries that span's trace_id and span_id", async () => {
      const out = capture();
      const log = createLogger("workers", "info", { format: "json", destination: out.stream });
      await runInSpan("process test", { kind: "consumer" }, async () => log.info("in a span"));
      await tracing.flush();
      const [span] = exporter.getFinishedSpans();
      const [line] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(span?.name).toBe("process test");
      expect(line).toMatchObject({ trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId });
    });
  });
});

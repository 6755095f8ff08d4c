/**
 * Tracing off (the default) costs nothing: the entry point's `startTracing` loads none of the
 * OpenTelemetry SDK, exporters or instrumentations, and registers no provider, so every span call
 * of @apollo/gateway and of the platform stays a no-op. With OTEL_TRACES_EXPORTER=otlp the same
 * program loads them (the recorder sees them, so the first assertion can fail).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const recorder = new URL("./fixtures/record-modules.mjs", import.meta.url).href;
const server = new URL("../src/server.ts", import.meta.url).href;
// Our SDK by its pnpm store paths: @apollo/gateway loads its own older @opentelemetry/resources and
// sdk-trace-base 1.x whatever we do (the api alone, no provider, is all of it that runs).
const sdk =
  /\/@opentelemetry\+(sdk-trace|context-async-hooks|exporter-trace-otlp-[a-z]+|instrumentation[a-z-]*|resources)@(3\.|0\.30)|\/import-in-the-middle@/;

/** Starts tracing as gateway/src/index.ts does, loads the gateway, and prints whether a provider is registered. */
function loadGateway(env: Record<string, string | undefined>): { urls: string[]; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "agora-tracing-off-"));
  const file = join(dir, "modules.json");
  const program = `
    const { startTracing } = await import("@agora/platform/tracing");
    const tracing = await startTracing("gateway");
    await import(${JSON.stringify(server)});
    const { trace } = await import("@opentelemetry/api");
    const span = trace.getTracer("check").startSpan("probe");
    console.log(JSON.stringify({ enabled: tracing.enabled, recording: span.isRecording() }));
    await tracing.shutdown();`;
  const output = execFileSync(process.execPath, ["--import", "tsx", "--import", recorder, "--input-type=module", "-e", program], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...process.env, NODE_OPTIONS: "", RECORD_MODULES_FILE: file, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", ...env },
    encoding: "utf8",
  });
  const urls = JSON.parse(readFileSync(file, "utf8")) as string[];
  rmSync(dir, { recursive: true, force: true });
  return { urls, output: output.trim().split("\n").pop() ?? "" };
}

test("with OTEL_TRACES_EXPORTER unset no SDK is loaded and no span records", () => {
  const { urls, output } = loadGateway({ OTEL_TRACES_EXPORTER: undefined });
  expect(JSON.parse(output)).toEqual({ enabled: false, recording: false });
  expect(urls.some((u) => u.includes("/@apollo/gateway/"))).toBe(true);
  expect(urls.filter((u) => sdk.test(u))).toEqual([]);
});

test("with OTEL_TRACES_EXPORTER=otlp the SDK is loaded and spans record", () => {
  const { urls, output } = loadGateway({ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "always_on" });
  expect(JSON.parse(output)).toEqual({ enabled: true, recording: true });
  expect(urls.filter((u) => sdk.test(u)).length).toBeGreaterThan(0);
});

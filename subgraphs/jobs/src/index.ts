/**
 * The jobs entry point: tracing first (see @agora/platform/tracing: when on, pg and ioredis are
 * instrumented as they load, so they may only load after it), then the service itself (main.ts).
 */
import { startTracing } from "@agora/platform/tracing";

try {
  await startTracing("jobs");
} catch (error) {
  console.error(`jobs: ${(error as Error).message}`);
  process.exit(1);
}
await import("./main.js");

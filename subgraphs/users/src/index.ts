/**
 * The users entry point: tracing first (see @agora/platform/tracing: when on, pg and ioredis are
 * instrumented as they load, so they may only load after it), then the service itself (main.ts).
 */
import { startTracing } from "@agora/platform/tracing";

try {
  await startTracing("users");
} catch (error) {
  console.error(`users: ${(error as Error).message}`);
  process.exit(1);
}
await import("./main.js");

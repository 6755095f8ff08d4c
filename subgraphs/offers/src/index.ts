/**
 * The offers entry point: tracing first (see @agora/platform/tracing: when on, pg and ioredis are
 * instrumented as they load, so they may only load after it), then the service itself (main.ts).
 */
import { startTracedService } from "@agora/platform/tracing";

await startTracedService("offers", () => import("./main.js"));

/**
 * Zero-drop shutdown, the way apollo-server's drainHttpServer and `stoppable` do it:
 *
 * 1. report not ready at once (`/health/ready` answers 503), so a load balancer stops sending;
 * 2. optionally keep serving for `delayMs`, long enough for the balancer's health check to notice
 *    (new connections still succeed meanwhile; every response says `Connection: close`, which retires
 *    the balancer's pooled keep-alive connections one by one instead of cutting them);
 * 3. stop accepting connections and close the idle keep-alive ones;
 * 4. let requests in flight finish within `graceMs`, closing each connection after its response;
 * 5. destroy whatever is still open, then the caller exits 0.
 *
 * One helper for the gateway, every subgraph and the workers' health servers; `onTerminationSignal`
 * replaces the signal handling each of them used to write by hand.
 */
import type { Server } from "node:http";
import { shutdownTracing } from "./tracing.js";

export interface DrainOptions {
  /**
   * How long to keep serving (while reporting not ready) before closing the listener.
   * @defaultValue 0
   */
  delayMs?: number;
  /**
   * How long requests in flight may take to finish before their connections are destroyed.
   * @defaultValue 10000
   */
  graceMs?: number;
}

/** Whether a server is draining; the HTTP layer answers readiness with 503 and closes connections. */
export interface Lifecycle {
  draining: boolean;
}

export const createLifecycle = (): Lifecycle => ({ draining: false });

const idleSweepMs = 100;

/**
 * Stops `server` gracefully. Resolves when every connection has ended, or when the grace period
 * is over and the rest were destroyed. Assumes the lifecycle's `draining` is already true, so
 * responses carry `Connection: close`.
 */
export async function drainHttpServer(server: Server, graceMs = 10_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // server.close() closes the connections idle right now; a connection that finishes its request
  // later closes itself (Connection: close), and the sweep catches any that went idle in between.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
  const outcome = await Promise.race([closed, graceOver]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (outcome === "timeout") {
    server.closeAllConnections();
    await closed;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The last spans (the drain's own requests) go out before exit; an unreachable collector may not hold it up. */
const flushSpans = () => Promise.race([shutdownTracing().catch(() => undefined), sleep(2000)]);

interface SignalLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT, then exits: 0 when it resolves to anything
 * but `false`, 1 when it returns `false` or throws. A second signal while stopping is logged and
 * otherwise ignored, so a supervisor's repeated TERM cannot cut the drain short (SIGKILL still can).
 * Install it before listening: a supervisor may signal as soon as the port answers.
 */
export function onTerminationSignal(log: SignalLog, shutdown: (signal: NodeJS.Signals) => Promise<boolean | void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return log.info({ signal }, "already shutting down");
    stopping = true;
    log.info({ signal }, "shutting down");
    shutdown(signal).then(
      async (ok) => {
        await flushSpans();
        process.exit(ok === false ? 1 : 0);
      },
      async (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        await flushSpans();
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
}

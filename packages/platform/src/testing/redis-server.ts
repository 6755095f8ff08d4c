/**
 * A redis-server of a test's own on a free port (the machine's Redis on 6379 is never touched),
 * which the test can stop and start again to make a real outage.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ThrowawayRedis {
  url: string;
  /** True while the server this test started is running. */
  readonly running: boolean;
  start(): Promise<void>;
  /** Stops the server (SIGTERM by default; SIGKILL for an abrupt loss) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `args`: extra redis-server arguments, e.g. `["--maxmemory-policy", "allkeys-lru"]`. */
export async function throwawayRedis(args: string[] = []): Promise<ThrowawayRedis> {
  const port = await unusedPort();
  const url = `redis://127.0.0.1:${port}`;
  let running: { child: ChildProcess; exited: Promise<void> } | null = null;
  const answers = async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  return {
    url,
    get running() {
      return running !== null;
    },
    async start() {
      const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args], {
        stdio: "ignore",
      });
      running = { child, exited: new Promise<void>((resolve) => child.once("exit", () => resolve())) };
      await eventually(answers, `redis-server on port ${port}`);
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (!running) return;
      const { child, exited } = running;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      running = null;
    },
  };
}

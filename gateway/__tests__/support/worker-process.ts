/**
 * A real worker process (workers/src/index.ts) on a stack's database, Redis prefix and storage, for
 * end-to-end tests that need jobs to run. Schedules off, health server on a free port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Stack } from "./stack.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export function startWorkerProcess(stack: Stack): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "workers/src/index.ts")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: stack.databaseUrl,
      REDIS_KEY_PREFIX: stack.keyPrefix,
      STORAGE_DIR: stack.storageDir,
      WORKER_HEALTH_PORT: "0",
      ANALYTICS_ROLLUP_EVERY_MS: "0",
      MAINTENANCE_EVERY_MS: "0",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A worker process: `node --import tsx workers/src/index.ts` (see README, "Workers"). */
import { createLogger } from "@agora/platform";
import { loadWorkersConfig } from "./config.js";
import { startWorkerPool } from "./worker-pool.js";

let config;
try {
  config = loadWorkersConfig();
} catch (error) {
  console.error(`workers: ${(error as Error).message}`);
  process.exit(1);
}
const log = createLogger("workers", config.LOG_LEVEL);

let pool;
try {
  pool = await startWorkerPool(config, log);
} catch (error) {
  // Dependency problems already say which one, where, and how to fix it.
  console.error(`workers: cannot start: ${(error as Error).message}`);
  process.exit(1);
}

const stop = async (signal: string) => {
  log.info({ signal }, "stopping: no new jobs, finishing active ones");
  const finished = await pool.close();
  log.info({ finished }, "workers stopped");
  process.exit(finished ? 0 : 1);
};
// Handlers first, then "ready": whoever waits for that line may signal us at once.
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));
log.info({ healthUrl: pool.healthUrl, consumes: pool.consumes, schedules: pool.schedules, pid: process.pid }, "workers ready");

/** The worker process, loaded by index.ts after tracing (see README, "Workers"). */
import { createLogger, onTerminationSignal } from "@agora/platform";
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

// Handlers first, then "ready": whoever waits for that line may signal us at once. Exit code 1
// means active jobs outlived WORKER_SHUTDOWN_TIMEOUT_MS (BullMQ re-delivers them).
onTerminationSignal(log, async () => {
  log.info({}, "stopping: no new jobs, finishing active ones");
  const finished = await pool.close();
  log.info({ finished }, "workers stopped");
  return finished;
});
log.info(
  { healthUrl: pool.healthUrl, metricsUrl: pool.metricsUrl, consumes: pool.consumes, schedules: pool.schedules, pid: process.pid },
  "workers ready",
);

/**
 * The bare-BullMQ baseline of the workers bench: one process, one Worker with an empty processor,
 * same connection settings and concurrency as the platform's worker process. Prints "ready".
 */
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const connection = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
const worker = new Worker(process.env.BARE_QUEUE ?? "bare", async () => undefined, {
  connection,
  prefix: process.env.BARE_PREFIX ?? "bench:bull",
  concurrency: Number(process.env.BARE_CONCURRENCY ?? 50),
});
await worker.waitUntilReady();
console.log("ready");
process.once("SIGTERM", async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});

import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { bullPrefix, createDatabase } from "@agora/platform";
const prefix = process.env.P!;
const db = createDatabase({ url: "postgresql://postgres@127.0.0.1:5432/agora_scratch_workers" });
const redis = new Redis({ maxRetriesPerRequest: null });
const q = new Queue("maintenance", { connection: redis, prefix: bullPrefix(prefix) });
const n = Number(process.env.N ?? 3000);
const ids = Array.from({ length: n }, () => randomUUID());
const t = performance.now();
for (let i = 0; i < n; i += 500) {
  const chunk = ids.slice(i, i + 500);
  await db.primary.$executeRaw`INSERT INTO jobs.jobs (id, type, requested_by) SELECT unnest(${chunk}::uuid[]), 'NOOP', ${chunk[0]}::uuid`;
  await q.addBulk(
    chunk.map((id) => ({
      name: "NOOP",
      data: { jobId: id },
      opts: { jobId: id, attempts: 3, backoff: { type: "exponential-jitter", delay: 1000 }, priority: 11 },
    })),
  );
}
const added = performance.now();
for (;;) {
  const c = await q.getJobCounts("completed");
  if ((c.completed ?? 0) >= n) break;
  await new Promise((r) => setTimeout(r, 10));
}
console.log("add ms", (added - t).toFixed(0), "total jobs/s", ((n / (performance.now() - t)) * 1000).toFixed(0));
await q.close();
redis.disconnect();
await db.disconnect();

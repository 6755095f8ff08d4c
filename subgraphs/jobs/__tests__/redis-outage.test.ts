/**
 * A real Redis outage: the service runs against a redis-server of this test's own (the machine's
 * Redis on 6379 is never touched), which is stopped and later started again on the same port.
 * Meanwhile uploads answer 202 and jobs are accepted (row and file committed, `enqueued_at` NULL);
 * once Redis is back the outbox relay queues each job exactly once, without any help.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Queue, type JobType } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { queueForJobType } from "@agora/platform/queues";
import { storagePaths } from "@agora/platform/storage";
import { type Db } from "@agora/platform/database";
import { throwawayRedis, type ThrowawayRedis } from "@agora/platform/testing";
import { eventually, startHarness, user, type Harness, type TestUser } from "./support.js";

const pollMs = 100;
const redisTimeoutMs = 300;
const allStates: JobType[] = ["waiting", "prioritized", "delayed", "active", "paused", "waiting-children", "completed", "failed"];

let redis: ThrowawayRedis;
let redisUrl: string;
let h: Harness | undefined;
let alice: TestUser;
const queues: Queue[] = [];
let queueConnection: Redis | undefined;

/** A BullMQ queue on our Redis and the service's prefix, the way a worker would see it. */
function queueOf(type: Db.JobType): Queue {
  queueConnection ??= new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue(queueForJobType[type], { connection: queueConnection, prefix: h!.settings.bullPrefix });
  queues.push(queue);
  return queue;
}

/** How many BullMQ jobs of `queue`, in any state, have the id `id`. */
async function copiesOf(queue: Queue, id: string): Promise<number> {
  const jobs = await queue.getJobs(allStates, 0, -1);
  return jobs.filter((job) => job.id === id).length;
}

const row = (id: string) => h!.db.primary.job.findUniqueOrThrow({ where: { id } });

beforeAll(async () => {
  redis = await throwawayRedis(["--maxmemory-policy", "noeviction"]);
  redisUrl = redis.url;
  await redis.start();
  h = await startHarness({ settings: { redisUrl, outboxPollMs: pollMs, outboxRedisTimeoutMs: redisTimeoutMs } });
  alice = await user();
  // The service is connected before the outage, so what follows is a live connection being lost.
  await eventually(() => h!.server.queues.connection.status === "ready", "the service's Redis connection");
});

afterAll(async () => {
  // Queue handles wait for a ready connection when they close: make sure Redis is there for them.
  if (!redis.running) await redis.start().catch(() => undefined);
  try {
    await Promise.allSettled(queues.map((queue) => queue.close()));
    queueConnection?.disconnect();
    await h?.close();
  } finally {
    await redis.stop("SIGKILL");
  }
});

describe("a Redis outage", () => {
  it("accepts uploads and jobs while Redis is stopped and queues each exactly once when it is back", async () => {
    // 1. Redis goes away.
    await redis.stop();
    await eventually(() => h!.server.queues.connection.status !== "ready", "the service to notice Redis is gone");

    // 2. An upload is accepted: 202, the file on disk, the row PENDING and not yet queued.
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: "#cc6633" } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "outage.png");
    const uploaded = await fetch(`${h!.url}/upload`, { method: "POST", body: form, headers: alice.headers });
    expect(uploaded.status).toBe(202);
    const { jobId: uploadId, status } = (await uploaded.json()) as { jobId: string; status: string };
    expect(status).toBe("PENDING");
    const path = storagePaths.upload(uploadId, "png");
    expect(await readFile(join(h!.settings.storageDir, path))).toEqual(png);
    expect(await row(uploadId)).toMatchObject({ type: "IMAGE_PROCESSING", status: "PENDING", enqueuedAt: null, input: { path } });

    // ... and so is a job created through GraphQL.
    const created = await h!.gql(`mutation { createJobs(input: [{ type: NOOP }]) { id status } }`, {}, alice);
    expect(created.errors).toBeUndefined();
    const [noop] = created.data!.createJobs as { id: string; status: string }[];
    expect(noop!.status).toBe("PENDING");
    expect(await row(noop!.id)).toMatchObject({ type: "NOOP", status: "PENDING", enqueuedAt: null });

    // 3. Relay passes during the outage (the poll's, and a few of our own: each ends once it has
    // waited redisTimeoutMs for Redis) deliver nothing; the service stays alive.
    for (let pass = 0; pass < 3; pass++) expect(await h!.server.relay.runOnce()).toEqual({ queued: 0, deferred: 0 });
    await new Promise((resolve) => setTimeout(resolve, 3 * pollMs));
    for (const id of [uploadId, noop!.id]) expect(await row(id)).toMatchObject({ status: "PENDING", enqueuedAt: null });
    const live = await fetch(`${h!.url}/health/live`);
    expect(live.status).toBe(200);

    // 4. Redis comes back on the same port (empty: nothing was persisted).
    await redis.start();

    // 5. The relay's poll alone queues both jobs.
    await eventually(
      async () => (await h!.db.primary.job.count({ where: { id: { in: [uploadId, noop!.id] }, enqueuedAt: { not: null } } })) === 2,
      "both jobs to be marked as enqueued",
      20_000,
    );
    // More passes (as after a crash between the add and the commit) add nothing twice.
    await h!.server.relay.runOnce();
    await h!.server.relay.runOnce();

    for (const [type, id] of [
      ["IMAGE_PROCESSING", uploadId],
      ["NOOP", noop!.id],
    ] as const) {
      const queue = queueOf(type);
      const job = await queue.getJob(id);
      expect(job).not.toBeNull();
      expect(job!.data).toEqual({ jobId: id, trace: { "x-request-id": expect.any(String) } });
      expect(await copiesOf(queue, id)).toBe(1);
      const counts = await queue.getJobCounts(...allStates);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
      expect(await row(id)).toMatchObject({ status: "PENDING", enqueuedAt: expect.any(Date) });
    }
  }, 60_000);
});

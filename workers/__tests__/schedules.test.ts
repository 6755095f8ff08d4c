/**
 * Schedules are BullMQ job schedulers: with two worker processes each slot still runs once. The
 * clean-up they run removes orphaned uploads and long-expired refresh tokens, and nothing else.
 */
import { jest } from "@jest/globals";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHarness, sleep, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await createHarness("schedules");
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.close();
});

it("runs a schedule once per interval across two worker processes", async () => {
  const every = 1000;
  const env = { WORKER_QUEUES: "analytics", ANALYTICS_ROLLUP_EVERY_MS: String(every) };
  const started = Date.now();
  const [a, b] = await Promise.all([h.startWorker(env), h.startWorker(env)]);
  await sleep(4500);
  for (const worker of [a, b]) worker.child.kill("SIGTERM");
  expect((await Promise.all([a.exited, b.exited])).map((exit) => exit.code)).toEqual([0, 0]);
  const elapsed = Date.now() - started;

  const queue = h.queue("analytics");
  expect(await queue.getJobSchedulers()).toHaveLength(1);
  const runs = Number(await h.redis.hget(`${h.prefix}workers:schedules`, "analytics-rollup:runs"));
  const jobs = (await queue.getJobs(["completed"])).filter((job) => job.name === "analytics-rollup");
  // One job per slot, each processed by exactly one of the two processes.
  expect(runs).toBeGreaterThanOrEqual(2);
  expect(jobs).toHaveLength(runs);
  expect(new Set(jobs.map((job) => job.id)).size).toBe(runs);
  expect(jobs.every((job) => job.attemptsMade === 1)).toBe(true);
  // A cron in each process would run about twice per interval.
  expect(runs).toBeLessThanOrEqual(Math.ceil(elapsed / every) + 1);
});

it("serves queue depths and schedule runs on GET /health", async () => {
  const worker = await h.startWorker({ WORKER_QUEUES: "maintenance", MAINTENANCE_EVERY_MS: "3600000" });
  await h.insertJob({ type: "NOOP" }).then((row) => h.queue("search-index").add("NOOP", { jobId: row.id }, { jobId: row.id, priority: 1 }));
  const body = await waitFor("the hourly clean-up's first run", async () => {
    const response = await fetch(worker.healthUrl);
    const json = (await response.json()) as any;
    return response.status === 200 && json.schedules["maintenance-cleanup"].runs >= 1 ? json : null;
  });
  expect(body).toMatchObject({
    status: "ok",
    consumes: { maintenance: 4 },
    redis: { reachable: true },
    postgres: { reachable: true },
    queues: { "search-index": { waiting: 1, active: 0, delayed: 0, failed: 0 }, "image-processing": { waiting: 0 } },
    schedules: { "maintenance-cleanup": { everyMs: 3600000, lastRunAt: expect.any(String) }, "analytics-rollup": { everyMs: null } },
  });
  expect((await fetch(worker.healthUrl.replace("/health", "/nope"))).status).toBe(404);
});

it("cleans up orphaned uploads and expired refresh tokens", async () => {
  const uploads = join(h.storageDir, "uploads");
  await mkdir(uploads, { recursive: true });
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
  const live = await h.insertJob({ type: "IMAGE_PROCESSING" });
  const done = await h.insertJob({ type: "IMAGE_PROCESSING" });
  await h.prisma.job.update({ where: { id: done.id }, data: { status: "COMPLETED" } });
  const failed = await h.insertJob({ type: "IMAGE_PROCESSING" });
  await h.prisma.job.update({ where: { id: failed.id }, data: { status: "FAILED" } });
  const files = {
    live: `${live.id}.jpg`,
    completed: `${done.id}.png`,
    failed: `${failed.id}.png`,
    unknown: `${randomUUID()}.jpg`,
    junk: "junk.bin",
    fresh: `${randomUUID()}.jpg`,
  };
  for (const [name, file] of Object.entries(files)) {
    await writeFile(join(uploads, file), randomBytes(16));
    if (name !== "fresh") await utimes(join(uploads, file), twoDaysAgo, twoDaysAgo);
  }

  const user = await h.prisma.user.create({ data: { email: `${randomUUID()}@example.test`, passwordHash: "x", displayName: "T" } });
  const token = (expiresAt: Date) => ({ userId: user.id, familyId: randomUUID(), tokenHash: randomBytes(16).toString("hex"), expiresAt });
  await h.prisma.refreshToken.createMany({
    data: [token(twoDaysAgo), token(new Date(Date.now() - 60 * 60 * 1000)), token(new Date(Date.now() + 24 * 60 * 60 * 1000))],
  });

  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const row = await h.submit({ type: "MAINTENANCE", input: { task: "cleanup" } });
  const result = (await h.waitForStatus(row.id, "COMPLETED")).result;
  expect(result).toEqual({
    task: "cleanup",
    uploads: { scanned: 6, deleted: 3 },
    refreshTokens: { deleted: 1 },
    auditEvents: { deleted: 0, retentionDays: 365 },
  });
  // A failed job's upload stays: retryJob needs it.
  expect((await readdir(uploads)).sort()).toEqual([files.fresh, files.live, files.failed].sort());
  expect(await h.prisma.refreshToken.count({ where: { userId: user.id } })).toBe(2);
});

/**
 * The job semantics of real worker processes: exactly-once completion across SIGKILL, graceful
 * SIGTERM, retries with backoff into the dead-letter list and back, duplicate delivery, and
 * cooperative cancellation. NOOP jobs stand in for real work ({sleepMs, fail}).
 */
import { jest } from "@jest/globals";
import { createHarness, sleep, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await createHarness("lifecycle");
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.close();
});

const completions = async (id: string) => (await h.transitions(id)).filter((t) => t.new_status === "COMPLETED").length;

it("completes a job exactly once when its worker is killed with SIGKILL mid-job", async () => {
  const first = await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const row = await h.submit({ type: "NOOP", input: { sleepMs: 3000 } });
  await waitFor("progress on the row", async () => {
    const current = await h.job(row.id);
    return current.status === "PROCESSING" && current.progress > 0;
  });
  first.child.kill("SIGKILL");
  expect((await first.exited).signal).toBe("SIGKILL");
  expect((await h.job(row.id)).status).toBe("PROCESSING");

  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const done = await h.waitForStatus(row.id, "COMPLETED");
  expect(done.attempts).toBe(2); // started by the killed worker, resumed by the second
  expect(done.progress).toBe(100);
  expect(done.result).toMatchObject({ sleptMs: 3000, attempt: 2 });
  expect(await completions(row.id)).toBe(1);
  const bull = await h.queue("maintenance").getJob(row.id);
  expect(await bull!.getState()).toBe("completed");
});

it("fails the row of a job that stalled more often than allowed", async () => {
  const env = { WORKER_QUEUES: "maintenance", WORKER_MAX_STALLED_COUNT: "0" };
  const first = await h.startWorker(env);
  const row = await h.submit({ type: "NOOP", input: { sleepMs: 5000 } });
  await h.waitForStatus(row.id, "PROCESSING");
  first.child.kill("SIGKILL");
  await first.exited;

  await h.startWorker(env);
  const failed = await h.waitForStatus(row.id, "FAILED");
  expect(failed.error).toMatch(/stalled more than allowable limit/);
  expect(failed.deadLetteredAt).not.toBeNull();
  expect(failed.attempts).toBe(1); // never started again
});

it("on SIGTERM takes no new job, finishes the active one and exits 0", async () => {
  const worker = await h.startWorker({ WORKER_QUEUES: "maintenance", WORKER_CONCURRENCY: "1" });
  const active = await h.submit({ type: "NOOP", input: { sleepMs: 1500 } });
  await h.waitForStatus(active.id, "PROCESSING");
  worker.child.kill("SIGTERM");
  await worker.waitForOutput(/stopping: no new jobs/);
  const queued = await h.submit({ type: "NOOP", input: {} });

  expect((await worker.exited).code).toBe(0);
  const finished = await h.job(active.id);
  expect(finished.status).toBe("COMPLETED");
  expect(finished.attempts).toBe(1);
  expect(
    await h
      .queue("maintenance")
      .getJob(active.id)
      .then((j) => j!.getState()),
  ).toBe("completed");
  // Nothing stalled: the active job was never re-delivered, the new one waits for the next worker.
  expect((await h.job(queued.id)).status).toBe("PENDING");
  expect(
    await h
      .queue("maintenance")
      .getJob(queued.id)
      .then((j) => j!.getState()),
  ).toBe("prioritized");
  expect(worker.output()).not.toMatch(/stalled job re-delivered/);

  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  await h.waitForStatus(queued.id, "COMPLETED");
});

it("retries a failing job with growing delays, dead-letters it, and completes it after a retry", async () => {
  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const base = 300;
  const row = await h.submit({ type: "NOOP", input: { fail: "transient" }, maxAttempts: 4, backoffMs: base });
  const failed = await h.waitForStatus(row.id, "FAILED");
  expect(failed.attempts).toBe(4);
  expect(failed.error).toMatch(/NOOP asked to fail \(attempt 4\)/);
  expect(failed.deadLetteredAt).not.toBeNull();
  expect(failed.finishedAt).not.toBeNull();

  // Between attempts the row waits as PENDING; each wait is at least half of base * 2^(n-1).
  const transitions = await h.transitions(row.id);
  const starts = transitions.filter((t) => t.new_status === "PROCESSING");
  const retries = transitions.filter((t) => t.old_status === "PROCESSING" && t.new_status === "PENDING");
  expect(starts).toHaveLength(4);
  expect(retries).toHaveLength(3);
  retries.forEach((retry, n) => {
    const waited = starts[n + 1]!.at.getTime() - retry.at.getTime();
    expect(waited).toBeGreaterThanOrEqual(base * 2 ** n * 0.5 - 20);
  });
  // The row is dead-lettered inside the last attempt; BullMQ files the job as failed a moment later.
  const bullJob = await waitFor("BullMQ to mark the job failed", async () => {
    const job = await h.queue("maintenance").getJob(row.id);
    return job && (await job.getState()) === "failed" ? job : null;
  });
  expect(bullJob.attemptsMade).toBe(4);

  // retryJob: the row back to PENDING (input fixed), the failed BullMQ job replaced.
  await h.prisma.job.update({
    where: { id: row.id },
    data: { status: "PENDING", input: { sleepMs: 0 }, error: null, deadLetteredAt: null, finishedAt: null, attempts: 0 },
  });
  await bullJob!.remove();
  await h.enqueue(await h.job(row.id));
  const completed = await h.waitForStatus(row.id, "COMPLETED");
  expect(completed.error).toBeNull();
  expect(completed.deadLetteredAt).toBeNull();
  expect(completed.attempts).toBe(1);
});

it("fails an unrecoverable job after one attempt", async () => {
  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const row = await h.submit({ type: "NOOP", input: { fail: "unrecoverable" }, maxAttempts: 5 });
  const failed = await h.waitForStatus(row.id, "FAILED");
  expect(failed.attempts).toBe(1);
  expect(failed.deadLetteredAt).not.toBeNull();
  const invalid = await h.submit({ type: "NOOP", input: { sleepMs: "soon" }, maxAttempts: 5 });
  const rejected = await h.waitForStatus(invalid.id, "FAILED");
  expect(rejected.attempts).toBe(1);
  expect(rejected.error).toMatch(/Invalid job input: sleepMs/);
});

it("processes the same job delivered twice once", async () => {
  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const row = await h.insertJob({ type: "NOOP", input: {} });
  // The relay retrying its add: BullMQ keeps one job per id.
  await Promise.all([h.enqueue(row), h.enqueue(row)]);
  const done = await h.waitForStatus(row.id, "COMPLETED");

  // Delivered again after completion (the BullMQ job gone, added anew): the row does not move.
  // The row is COMPLETED a moment before BullMQ moves the job (and releases its lock): wait for that.
  await waitFor("BullMQ to complete the job", async () => (await h.queue("maintenance").getJobState(row.id)) === "completed");
  const bullJob = await h.queue("maintenance").getJob(row.id);
  await bullJob!.remove();
  const again = await h.enqueue(row);
  await waitFor("the second delivery", async () => (await again.getState()) === "completed");
  expect((await h.queue("maintenance").getJob(row.id))!.returnvalue).toEqual({ skipped: "not-runnable" });
  const after = await h.job(row.id);
  expect(after.attempts).toBe(1);
  expect(after.finishedAt).toEqual(done.finishedAt);
  expect(after.result).toEqual(done.result);
  expect(await completions(row.id)).toBe(1);
});

it("cancels a running job cooperatively, and a pending one without running it", async () => {
  await h.startWorker({ WORKER_QUEUES: "maintenance" });
  const running = await h.submit({ type: "NOOP", input: { sleepMs: 20_000 } });
  await h.waitForStatus(running.id, "PROCESSING");
  await h.prisma.job.update({ where: { id: running.id }, data: { cancelRequested: true } });
  const cancelled = await h.waitForStatus(running.id, "CANCELLED", 10_000);
  expect(cancelled.finishedAt).not.toBeNull();
  expect(cancelled.progress).toBeLessThan(100);
  expect(cancelled.result).toBeNull();

  const pending = await h.insertJob({ type: "NOOP", input: { sleepMs: 20_000 } });
  await h.prisma.job.update({ where: { id: pending.id }, data: { cancelRequested: true } });
  await h.enqueue(pending);
  const skipped = await h.waitForStatus(pending.id, "CANCELLED");
  expect(skipped.attempts).toBe(0);
  expect(skipped.startedAt).toBeNull();
  await sleep(10);
});

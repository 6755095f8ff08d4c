import { randomUUID } from "node:crypto";
import { createDatabase, type Database, type Db } from "../database.js";
import { allowsTransition, JobStore, insertJobs, jobTransitions, type JobTransition } from "../job-store/index.js";
import { createTestDatabase } from "../testing/index.js";

let db: Database;
beforeAll(async () => {
  db = createDatabase({ url: await createTestDatabase("jobstore"), poolSize: 4 });
});
afterAll(async () => {
  await db.disconnect();
});
beforeEach(async () => {
  await db.primary.job.deleteMany();
});

const statuses: Db.JobStatus[] = ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"];
const transitions = Object.keys(jobTransitions) as JobTransition[];

/** A row in `status`, set up directly: the store itself only ever moves rows along legal edges. */
async function rowIn(status: Db.JobStatus, fields: Omit<Partial<Db.Job>, "input" | "result" | "traceContext"> = {}): Promise<Db.Job> {
  return db.primary.job.create({
    data: { type: "NOOP", requestedBy: randomUUID(), status, input: {}, progress: 10, ...fields },
  });
}

/** Applies `transition` to the row; true when the store reports it applied. */
async function apply(store: JobStore, transition: JobTransition, id: string): Promise<boolean> {
  switch (transition) {
    case "start":
      return (await store.start(id)) !== null;
    case "progress":
      await store.progress(id, 50);
      return (await db.primary.job.findUniqueOrThrow({ where: { id } })).progress === 50;
    case "complete":
      return store.complete(id, { ok: true });
    case "attemptFailed":
      return store.attemptFailed(id, "try again");
    case "fail":
      return store.fail(id, "gave up");
    case "cancel":
      return store.cancel(id);
    case "requestCancel":
      return store.requestCancel(id);
    case "cancelled":
      return store.cancelled(id);
    case "retry":
      return store.retry(id);
    case "enqueue":
      return (await store.deliverOutbox(10, async (entries) => entries.map((entry) => entry.id), { timeoutMs: 5000 })).enqueued === 1;
  }
}

describe("the job store follows the lifecycle table, and nothing else", () => {
  const cases = transitions.flatMap((transition) => statuses.map((status) => [transition, status] as const));

  it.each(cases)("%s from %s: applied only when the table allows it; a refused change writes nothing", async (transition, status) => {
    const store = new JobStore({ db: db.primary });
    // `cancelled` needs a requested cancellation, `start` refuses one; `enqueue` needs an undelivered row.
    const row = await rowIn(status, { cancelRequested: transition === "cancelled", enqueuedAt: null });
    const applied = await apply(store, transition, row.id);
    const after = await db.primary.job.findUniqueOrThrow({ where: { id: row.id } });
    if (allowsTransition(transition, status)) {
      expect(applied).toBe(true);
      expect(after.status).toBe(jobTransitions[transition].to);
    } else {
      expect(applied).toBe(false);
      expect(after).toEqual(row);
    }
  });

  it("never starts a job whose cancellation was requested", async () => {
    const store = new JobStore({ db: db.primary });
    const row = await rowIn("PENDING", { cancelRequested: true });
    expect(await store.start(row.id)).toBeNull();
    expect(await db.primary.job.findUniqueOrThrow({ where: { id: row.id } })).toEqual(row);
  });

  it("completes a job once however often it is completed, and keeps the first result", async () => {
    const store = new JobStore({ db: db.primary });
    const row = await rowIn("PROCESSING");
    const sameTurn = await Promise.all([store.complete(row.id, { run: 1 }), store.complete(row.id, { run: 2 })]);
    const later = await store.complete(row.id, { run: 3 });
    expect([...sameTurn, later].filter(Boolean)).toHaveLength(1);
    expect(await db.primary.job.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: "COMPLETED",
      progress: 100,
      result: { run: 1 },
    });
  });

  it("starts and completes many jobs of one event-loop turn in one statement", async () => {
    const store = new JobStore({ db: db.primary });
    const pending = await Promise.all(Array.from({ length: 20 }, () => rowIn("PENDING")));
    const running = await Promise.all(Array.from({ length: 20 }, () => rowIn("PROCESSING")));
    const before = db.statementCount();
    const [started, completed] = await Promise.all([
      Promise.all(pending.map((row) => store.start(row.id))),
      Promise.all(running.map((row) => store.complete(row.id, {}))),
    ]);
    expect(db.statementCount() - before).toBe(1);
    expect(started.map((job) => job?.attempts)).toEqual(pending.map((row) => row.attempts + 1));
    expect(completed.every(Boolean)).toBe(true);
  });

  it("retry gives a clean slate and puts the job back in the outbox", async () => {
    const woken: string[] = [];
    const store = new JobStore({ db: db.primary, wake: () => woken.push("retry") });
    const row = await rowIn("FAILED", {
      attempts: 3,
      error: "boom",
      finishedAt: new Date(),
      deadLetteredAt: new Date(),
      enqueuedAt: new Date(),
    });
    expect(await store.retry(row.id)).toBe(true);
    expect(await db.primary.job.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: "PENDING",
      attempts: 0,
      progress: 0,
      error: null,
      result: null,
      finishedAt: null,
      deadLetteredAt: null,
      enqueuedAt: null,
    });
    expect(woken).toEqual(["retry"]);
    expect(await store.countUndelivered()).toBe(1);
  });
});

describe("submitting jobs", () => {
  it("submitJobs inserts undelivered PENDING rows in input order and wakes the relay", async () => {
    let wakes = 0;
    const store = new JobStore({ db: db.primary, wake: () => (wakes += 1) });
    const id = randomUUID();
    const rows = await store.submitJobs([
      { id, type: "IMAGE_PROCESSING", input: { path: "uploads/x.png" }, requestedBy: randomUUID() },
      { type: "NOOP", input: {}, requestedBy: randomUUID(), priority: 9, maxAttempts: 1 },
    ]);
    expect(rows.map((row) => [row.type, row.status, row.enqueuedAt, row.priority, row.maxAttempts])).toEqual([
      ["IMAGE_PROCESSING", "PENDING", null, 5, 3],
      ["NOOP", "PENDING", null, 9, 1],
    ]);
    expect(rows[0]?.id).toBe(id);
    expect(wakes).toBe(1);
  });

  it("insertJobs inside the caller's transaction is rolled back with it", async () => {
    await expect(
      db.primary.$transaction(async (tx) => {
        await insertJobs(tx, [{ type: "MODERATION", input: { reviewId: randomUUID(), body: "hi" }, requestedBy: randomUUID() }]);
        throw new Error("the business write failed");
      }),
    ).rejects.toThrow("the business write failed");
    expect(await db.primary.job.count()).toBe(0);
  });
});

import { Worker, UnrecoverableError } from "bullmq";
import { Redis } from "ioredis";
import { testRedisUrl } from "@agora/platform/testing";
import { eventually, jobFields, startHarness, user, type Harness, type TestUser } from "./support.js";

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;

beforeAll(async () => {
  h = await startHarness();
  [alice, bob, admin] = await Promise.all([user(), user(), user("ADMIN")]);
});
afterAll(async () => {
  await h.close();
});

const createJobs = `mutation($input: [CreateJobInput!]!) { createJobs(input: $input) { ${jobFields} } }`;
const jobQuery = `query($id: ID!) { job(id: $id) { ${jobFields} } }`;
const jobsQuery = `query($filter: JobsFilter, $first: Int, $after: String) {
  jobs(filter: $filter, first: $first, after: $after) { totalCount edges { cursor node { id type status requestedBy { id } } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;

async function create(as: TestUser, input: Record<string, unknown>[]) {
  const response = await h.gql(createJobs, { input }, as);
  expect(response.errors).toBeUndefined();
  return response.data!.createJobs as { id: string; status: string; type: string; priority: number }[];
}

const rowCount = (where: Record<string, unknown> = {}) => h.db.primary.job.count({ where });

describe("createJobs", () => {
  it("creates a batch of 100 in one go, each queued in BullMQ under its own id", async () => {
    const before = await rowCount();
    const input = Array.from({ length: 100 }, (_, i) => ({ type: "NOOP", priority: i % 11, input: { n: i } }));
    const jobs = await create(alice, input);
    expect(jobs).toHaveLength(100);
    expect(jobs.map((j) => j.status)).toEqual(Array(100).fill("PENDING"));
    expect(jobs.map((j) => j.priority)).toEqual(input.map((i) => i.priority));
    expect(await rowCount()).toBe(before + 100);
    await eventually(
      async () => (await rowCount({ id: { in: jobs.map((j) => j.id) }, enqueuedAt: { not: null } })) === 100,
      "all 100 jobs to be queued",
    );
    const queued = await h.queue("NOOP").getJob(jobs[42]!.id);
    expect(queued?.data).toEqual({ jobId: jobs[42]!.id, trace: { "x-request-id": expect.any(String) } });
    expect(queued?.opts.attempts).toBe(3);
    expect(queued?.opts.backoff).toEqual({ type: "exponential-jitter", delay: 1000 });
  });

  it("refuses 101 jobs, and an empty list, creating nothing", async () => {
    const before = await rowCount();
    const tooMany = await h.gql(createJobs, { input: Array.from({ length: 101 }, () => ({ type: "NOOP" })) }, alice);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const none = await h.gql(createJobs, { input: [] }, alice);
    expect(none.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await rowCount()).toBe(before);
  });

  it("refuses the whole batch when one entry is invalid", async () => {
    const before = await rowCount();
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "NOOP", priority: 11 }, "BAD_USER_INPUT"],
      [{ type: "NOOP", priority: -1 }, "BAD_USER_INPUT"],
      [{ type: "NOOP", input: [1, 2] }, "BAD_USER_INPUT"],
      [{ type: "IMAGE_PROCESSING" }, "BAD_USER_INPUT"],
      [{ type: "MODERATION" }, "BAD_USER_INPUT"],
      [{ type: "ANALYTICS_REPORT", input: { from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" } }, "BAD_USER_INPUT"],
      [{ type: "SEARCH_REINDEX" }, "FORBIDDEN"],
    ];
    for (const [bad, code] of cases) {
      const response = await h.gql(createJobs, { input: [{ type: "NOOP" }, bad] }, alice);
      expect({ bad, code: response.errors?.[0]?.extensions?.code }).toEqual({ bad, code });
    }
    expect(await rowCount()).toBe(before);
  });

  it("lets admins create SEARCH_REINDEX jobs and anyone ANALYTICS_REPORT jobs", async () => {
    const [reindex] = await create(admin, [{ type: "SEARCH_REINDEX", priority: 10 }]);
    expect(reindex).toMatchObject({ type: "SEARCH_REINDEX", priority: 10 });
    const [report] = await create(bob, [{ type: "ANALYTICS_REPORT", input: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" } }]);
    expect(report).toMatchObject({ type: "ANALYTICS_REPORT", input: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" } });
    // A date-only `to` means "through that day" (as the analytics worker reads it).
    const [oneDay] = await create(bob, [{ type: "ANALYTICS_REPORT", input: { from: "2026-01-01", to: "2026-01-01", top: 5 } }]);
    expect(oneDay).toMatchObject({ input: { from: "2026-01-01", to: "2026-01-01", top: 5 } });
  });

  it("requires a signed-in user", async () => {
    const response = await h.gql(createJobs, { input: [{ type: "NOOP" }] });
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("requestAnalyticsReport", () => {
  const mutation = `mutation($range: DateRangeInput!) { requestAnalyticsReport(range: $range) { id type status input } }`;
  it("queues an ANALYTICS_REPORT job for a valid range", async () => {
    const response = await h.gql(mutation, { range: { from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" } }, bob);
    expect(response.data?.requestAnalyticsReport).toMatchObject({
      type: "ANALYTICS_REPORT",
      status: "PENDING",
      input: { from: "2026-03-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" },
    });
    const id = response.data!.requestAnalyticsReport.id as string;
    await eventually(() => h.queue("ANALYTICS_REPORT").getJob(id), "the report job in the analytics queue");
  });
  it("refuses from >= to and ranges over 366 days", async () => {
    const before = await rowCount();
    for (const range of [
      { from: "2026-03-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
      { from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z" },
      { from: "2025-01-01T00:00:00Z", to: "2026-01-03T00:00:00Z" },
    ]) {
      const response = await h.gql(mutation, { range }, bob);
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(await rowCount()).toBe(before);
  });
});

describe("job and jobs", () => {
  let carol: TestUser;
  let carolJobs: { id: string }[];
  beforeAll(async () => {
    carol = await user();
    carolJobs = await create(
      carol,
      Array.from({ length: 5 }, (_, i) => ({ type: "NOOP", input: { i } })),
    );
    await create(carol, [{ type: "ANALYTICS_REPORT", input: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" } }]);
  });

  it("shows a job to its owner and admins, and null to anyone else", async () => {
    const id = carolJobs[0]!.id;
    expect((await h.gql(jobQuery, { id }, carol)).data?.job).toMatchObject({ id, requestedBy: { id: carol.userId }, input: { i: 0 } });
    expect((await h.gql(jobQuery, { id }, admin)).data?.job).toMatchObject({ id });
    const other = await h.gql(jobQuery, { id }, bob);
    expect(other.errors).toBeUndefined();
    expect(other.data?.job).toBeNull();
    expect((await h.gql(jobQuery, { id: "00000000-0000-4000-8000-000000000000" }, carol)).data?.job).toBeNull();
    expect((await h.gql(jobQuery, { id: "nope" }, carol)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await h.gql(jobQuery, { id })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lists only the caller's jobs, newest first, page by page", async () => {
    const first = await h.gql(jobsQuery, { first: 4 }, carol);
    expect(first.data?.jobs.totalCount).toBe(6);
    expect(first.data?.jobs.edges).toHaveLength(4);
    expect(first.data?.jobs.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await h.gql(jobsQuery, { first: 4, after: first.data!.jobs.pageInfo.endCursor }, carol);
    expect(second.data?.jobs.edges).toHaveLength(2);
    expect(second.data?.jobs.pageInfo.hasNextPage).toBe(false);
    const ids = [...first.data!.jobs.edges, ...second.data!.jobs.edges].map((e: { node: { id: string } }) => e.node.id);
    expect(new Set(ids).size).toBe(6);
    expect(ids).toEqual(expect.arrayContaining(carolJobs.map((j) => j.id)));
    for (const edge of [...first.data!.jobs.edges, ...second.data!.jobs.edges]) expect(edge.node.requestedBy.id).toBe(carol.userId);
  });

  it("filters by type, status and creation time", async () => {
    const reports = await h.gql(jobsQuery, { filter: { type: "ANALYTICS_REPORT" } }, carol);
    expect(reports.data?.jobs.totalCount).toBe(1);
    const pending = await h.gql(jobsQuery, { filter: { status: "PENDING", type: "NOOP" } }, carol);
    expect(pending.data?.jobs.totalCount).toBe(5);
    const completed = await h.gql(jobsQuery, { filter: { status: "COMPLETED" } }, carol);
    expect(completed.data?.jobs.totalCount).toBe(0);
    const future = await h.gql(jobsQuery, { filter: { createdFrom: new Date(Date.now() + 3_600_000).toISOString() } }, carol);
    expect(future.data?.jobs.totalCount).toBe(0);
    const past = await h.gql(
      jobsQuery,
      { filter: { createdTo: new Date(Date.now() + 3_600_000).toISOString(), createdFrom: "2020-01-01T00:00:00Z" } },
      carol,
    );
    expect(past.data?.jobs.totalCount).toBe(6);
    const backwards = await h.gql(jobsQuery, { filter: { createdFrom: "2026-02-01T00:00:00Z", createdTo: "2026-01-01T00:00:00Z" } }, carol);
    expect(backwards.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("shows admins everyone's jobs", async () => {
    const all = await h.gql(jobsQuery, { first: 100 }, admin);
    const owners = new Set(all.data!.jobs.edges.map((e: { node: { requestedBy: { id: string } } }) => e.node.requestedBy.id));
    expect(owners.has(carol.userId)).toBe(true);
    expect(owners.size).toBeGreaterThan(1);
    expect(all.data!.jobs.totalCount).toBe(await rowCount());
  });

  it("bounds first", async () => {
    expect((await h.gql(jobsQuery, { first: 101 }, carol)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("cancelJob", () => {
  const cancel = `mutation($id: ID!) { cancelJob(id: $id) { id status finishedAt } }`;

  it("cancels a pending job at once and removes it from its BullMQ queue", async () => {
    const [job] = await create(alice, [{ type: "NOOP" }]);
    await eventually(() => h.queue("NOOP").getJob(job!.id), "the job in BullMQ");
    const response = await h.gql(cancel, { id: job!.id }, alice);
    expect(response.data?.cancelJob).toMatchObject({ id: job!.id, status: "CANCELLED" });
    expect(response.data?.cancelJob.finishedAt).not.toBeNull();
    expect(await h.queue("NOOP").getJob(job!.id)).toBeUndefined();
  });

  it("asks the worker to stop a processing job", async () => {
    const [job] = await create(alice, [{ type: "NOOP" }]);
    await h.db.primary.job.update({ where: { id: job!.id }, data: { status: "PROCESSING", startedAt: new Date() } });
    const response = await h.gql(cancel, { id: job!.id }, alice);
    expect(response.data?.cancelJob.status).toBe("PROCESSING");
    expect((await h.db.primary.job.findUnique({ where: { id: job!.id } }))?.cancelRequested).toBe(true);
  });

  it("answers CONFLICT for a finished job and NOT_FOUND for someone else's", async () => {
    const [job] = await create(alice, [{ type: "NOOP" }]);
    await h.db.primary.job.update({ where: { id: job!.id }, data: { status: "COMPLETED", finishedAt: new Date(), progress: 100 } });
    expect((await h.gql(cancel, { id: job!.id }, alice)).errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const [other] = await create(alice, [{ type: "NOOP" }]);
    expect((await h.gql(cancel, { id: other!.id }, bob)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await h.db.primary.job.findUnique({ where: { id: other!.id } }))?.status).toBe("PENDING");
  });
});

describe("analytics report scope", () => {
  it("limits a user's report to their own offers; an admin's covers every offer", async () => {
    const request = `mutation { requestAnalyticsReport(range: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { id input } }`;
    expect((await h.gql(request, {}, alice)).data?.requestAnalyticsReport.input).toMatchObject({ sellerId: alice.userId });
    expect((await h.gql(request, {}, admin)).data?.requestAnalyticsReport.input).not.toHaveProperty("sellerId");
    const viaBatch = await h.gql(
      `mutation($i: [CreateJobInput!]!) { createJobs(input: $i) { input } }`,
      {
        i: [{ type: "ANALYTICS_REPORT", input: { from: "2026-01-01", to: "2026-01-31", sellerId: bob.userId } }],
      },
      alice,
    );
    expect(viaBatch.data?.createJobs[0].input.sellerId).toBe(alice.userId);
  });
});

describe("jobs the platform runs on a user's behalf", () => {
  it("cannot be cancelled or retried by that user (a review's author cannot stop its moderation), only by admins", async () => {
    const moderation = await h.db.primary.job.create({
      data: { type: "MODERATION", input: { reviewId: "00000000-0000-4000-8000-000000000001", body: "x" }, requestedBy: alice.userId },
    });
    const cancel = `mutation($id: ID!) { cancelJob(id: $id) { status } }`;
    expect((await h.gql(cancel, { id: moderation.id }, alice)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(
      (await h.gql(`mutation($id: ID!) { retryJob(id: $id) { status } }`, { id: moderation.id }, alice)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await h.db.primary.job.findUniqueOrThrow({ where: { id: moderation.id } })).status).toBe("PENDING");
    expect((await h.gql(cancel, { id: moderation.id }, admin)).data?.cancelJob.status).toBe("CANCELLED");
  });
});

describe("retryJob and dead letters", () => {
  const retry = `mutation($id: ID!) { retryJob(id: $id) { id status attempts error result } }`;
  const deadLetters = `query { deadLetterJobs(first: 10) { totalCount edges { node { id status error } } } }`;

  it("puts a dead-lettered FAILED job back in its queue with a clean slate", async () => {
    const [job] = await create(alice, [{ type: "NOOP" }]);
    const queue = h.queue("NOOP");
    await eventually(() => queue.getJob(job!.id), "the job in BullMQ");
    // Play the worker: the BullMQ job fails for good, the row is dead-lettered.
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const worker = new Worker(
      queue.name,
      async () => {
        throw new UnrecoverableError("boom");
      },
      { connection, prefix: h.settings.bullPrefix },
    );
    await eventually(async () => (await queue.getJobState(job!.id)) === "failed", "the BullMQ job to fail");
    await worker.close();
    connection.disconnect();
    await h.db.primary.job.update({
      where: { id: job!.id },
      data: { status: "FAILED", attempts: 3, error: "boom", result: { partial: true }, finishedAt: new Date(), deadLetteredAt: new Date() },
    });

    const listed = await h.gql(deadLetters, {}, admin);
    expect(listed.data?.deadLetterJobs.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(job!.id);
    expect((await h.gql(deadLetters, {}, alice)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await h.gql(retry, { id: job!.id }, bob)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const response = await h.gql(retry, { id: job!.id }, alice);
    expect(response.data?.retryJob).toEqual({ id: job!.id, status: "PENDING", attempts: 0, error: null, result: null });
    const row = await h.db.primary.job.findUnique({ where: { id: job!.id } });
    expect(row).toMatchObject({ deadLetteredAt: null, finishedAt: null, cancelRequested: false });
    await eventually(async () => ["waiting", "prioritized"].includes(await queue.getJobState(job!.id)), "the job to be queued again");
    await eventually(
      async () => (await h.db.primary.job.findUnique({ where: { id: job!.id } }))?.enqueuedAt,
      "the row to be marked enqueued",
    );
    expect((await h.gql(deadLetters, {}, admin)).data?.deadLetterJobs.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(
      job!.id,
    );
  });

  it("retries a cancelled job, and refuses pending or completed ones", async () => {
    const [job] = await create(alice, [{ type: "NOOP" }]);
    expect((await h.gql(retry, { id: job!.id }, alice)).errors?.[0]?.extensions?.code).toBe("CONFLICT");
    await h.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: job!.id }, alice);
    expect((await h.gql(retry, { id: job!.id }, admin)).data?.retryJob.status).toBe("PENDING");
    await eventually(() => h.queue("NOOP").getJob(job!.id), "the retried job in BullMQ");
    await h.db.primary.job.update({ where: { id: job!.id }, data: { status: "COMPLETED" } });
    expect((await h.gql(retry, { id: job!.id }, alice)).errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });
});

/**
 * Nothing is lost at enqueue: with Redis unreachable (a relay pointed at a port nothing listens
 * on; the machine's Redis is never stopped), jobs and uploads are committed and wait in the
 * outbox; a relay with a working connection then queues each exactly once.
 */
import sharp from "sharp";
import { createLogger } from "@agora/platform";
import { JobStore } from "@agora/platform/job-store";
import { testRedisUrl } from "@agora/platform/testing";
import { OutboxRelay } from "../src/outbox/relay.js";
import { JobQueues } from "../src/queue/job-queues.js";
import { eventually, startHarness, unusedPort, user, type Harness, type TestUser } from "./support.js";

let down: Harness;
let alice: TestUser;
const log = createLogger("outbox-test", process.env.TEST_LOG_LEVEL ?? "silent");
const open: { relay: OutboxRelay; queues: JobQueues }[] = [];

/** A relay of our own on the harness's database and BullMQ prefix. */
function relayTo(redisUrl: string, redisTimeoutMs = 1500) {
  const queues = new JobQueues({ redisUrl, prefix: down.settings.bullPrefix, log });
  const relay = new OutboxRelay({ jobs: new JobStore({ db: down.db.primary }), queues, log, redisTimeoutMs });
  open.push({ relay, queues });
  return relay;
}

beforeAll(async () => {
  const port = await unusedPort();
  // The service itself sees Redis as down: its own relay (triggered after each commit and
  // polling) cannot deliver anything.
  down = await startHarness({ settings: { redisUrl: `redis://127.0.0.1:${port}`, outboxRedisTimeoutMs: 500, outboxPollMs: 100 } });
  alice = await user();
});
afterAll(async () => {
  for (const { relay, queues } of open) {
    await relay.stop();
    await queues.close();
  }
  await down.close();
});

const totalQueued = async (h: Harness, type: "NOOP" | "IMAGE_PROCESSING") => {
  const counts = await h.queue(type).getJobCounts("waiting", "prioritized", "delayed", "active", "completed", "failed");
  return Object.values(counts).reduce((a, b) => a + b, 0);
};

it("keeps jobs and uploads committed while Redis is down, then queues each exactly once", async () => {
  const created = await down.gql(`mutation { createJobs(input: [{ type: NOOP }, { type: NOOP, priority: 7 }]) { id status } }`, {}, alice);
  expect(created.errors).toBeUndefined();
  const ids = (created.data!.createJobs as { id: string }[]).map((j) => j.id);

  // Uploads are accepted during the outage: the file and the row are committed.
  const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#000" } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(png)]), "a.png");
  const uploaded = await fetch(`${down.url}/upload`, { method: "POST", body: form, headers: alice.headers });
  expect(uploaded.status).toBe(202);
  const { jobId: uploadId } = (await uploaded.json()) as { jobId: string };

  // A pass of a relay that cannot reach Redis ends (it does not hang) and delivers nothing.
  const broken = relayTo(`redis://127.0.0.1:${await unusedPort()}`, 300);
  expect(await broken.runOnce()).toMatchObject({ queued: 0 });
  await down.server.relay.runOnce();
  const waiting = await down.db.primary.job.findMany({ where: { id: { in: [...ids, uploadId] } } });
  expect(waiting).toHaveLength(3);
  for (const row of waiting) expect(row).toMatchObject({ status: "PENDING", enqueuedAt: null });
  expect(await totalQueued(down, "NOOP")).toBe(0);

  // Redis "comes back": a relay with a working connection delivers, and running it again (or
  // two at once) adds nothing twice.
  const working = relayTo(testRedisUrl());
  expect(await working.runOnce()).toEqual({ queued: 3, deferred: 0 });
  const [again, concurrent] = await Promise.all([working.runOnce(), relayTo(testRedisUrl()).runOnce()]);
  expect(again.queued + concurrent.queued).toBe(0);
  expect(await totalQueued(down, "NOOP")).toBe(2);
  expect(await totalQueued(down, "IMAGE_PROCESSING")).toBe(1);
  expect((await down.queue("IMAGE_PROCESSING").getJob(uploadId))?.data).toEqual({
    jobId: uploadId,
    trace: { "x-request-id": expect.any(String) },
  });
  const delivered = await down.db.primary.job.findMany({ where: { id: { in: [...ids, uploadId] } } });
  for (const row of delivered) expect(row.enqueuedAt).not.toBeNull();
});

it("shares a backlog between relays running at the same time, each job queued once", async () => {
  const created = await down.gql(
    `mutation($input: [CreateJobInput!]!) { createJobs(input: $input) { id } }`,
    { input: Array.from({ length: 100 }, () => ({ type: "NOOP" })) },
    alice,
  );
  expect(created.errors).toBeUndefined();
  const before = await totalQueued(down, "NOOP");
  const relays = [relayTo(testRedisUrl()), relayTo(testRedisUrl()), relayTo(testRedisUrl())];
  const results = await Promise.all(relays.map((r) => r.runOnce()));
  expect(results.reduce((sum, r) => sum + r.queued, 0)).toBe(100);
  expect(await totalQueued(down, "NOOP")).toBe(before + 100);
  await eventually(async () => (await down.db.primary.job.count({ where: { enqueuedAt: null } })) === 0, "an empty outbox");
});

/**
 * Two gateways on one Redis, clients on both: an event published once (as a worker does, after the
 * row's transition has committed) reaches each subscribed client exactly once, in order, whichever
 * gateway holds its socket; a second user on either gateway receives nothing of it.
 */
import { createLogger, createRedis } from "@agora/platform";
import { liveChannels, publishJobState } from "@agora/platform/live-events";
import pg from "pg";
import { createGateway, type Gateway } from "../../src/server.js";
import { startStack, type Stack } from "../support/stack.js";
import { liveClient, sleep, until, type LiveClient } from "./live-client.js";

let stack: Stack;
let sql: pg.Client;
let gatewayB: Gateway;
let gatewayBUrl: string;
const clients: LiveClient[] = [];
const publisher = {
  redis: createRedis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"),
  keyPrefix: "",
  log: createLogger("test", "silent"),
};

beforeAll(async () => {
  stack = await startStack({ label: "livetwo", seed: { users: 4, offers: 2, reviewsPerOffer: 0 } });
  publisher.keyPrefix = stack.keyPrefix;
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  gatewayB = await createGateway(stack.gatewayConfig, createLogger("gateway-b", "silent"));
  gatewayBUrl = `${(await gatewayB.listen(0, "127.0.0.1")).url}/graphql`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await gatewayB.stop();
  await stack.stop();
  await sql.end();
  publisher.redis.disconnect();
});

const jobQuery = `subscription($id: ID!) { jobUpdated(id: $id) { id status progress requestedBy { displayName } } }`;
const mine = `subscription { myJobUpdates { id status progress } }`;

const subscribers = async (channel: string) => Number(((await publisher.redis.pubsub("NUMSUB", channel)) as [string, number])[1]);

/** Plays the worker: one guarded transition, committed, then published. */
async function transition(id: string, status: string, progress: number) {
  await sql.query("UPDATE jobs.jobs SET status = $2, progress = $3, updated_at = now() WHERE id = $1", [id, status, progress]);
  await publishJobState(publisher, stack.runtimes.jobs.db.primary, id);
}

it("delivers each event once to clients on both gateways, in order, and nothing to another user", async () => {
  const alice = await stack.login("alice@agora.test");
  const bob = await stack.login("bob@agora.test");
  const job = (
    await sql.query(
      "INSERT INTO jobs.jobs (id, type, status, input, requested_by) VALUES (gen_random_uuid(), 'NOOP', 'PENDING', '{}', $1) RETURNING id",
      [alice.userId],
    )
  ).rows[0] as { id: string };

  const onA = liveClient(stack.gatewayUrl, alice.accessToken);
  const onB = liveClient(gatewayBUrl, alice.accessToken);
  const bobOnA = liveClient(stack.gatewayUrl, bob.accessToken);
  const bobOnB = liveClient(gatewayBUrl, bob.accessToken);
  clients.push(onA, onB, bobOnA, bobOnB);
  const aJob = onA.subscribe(jobQuery, { id: job.id });
  const bJob = onB.subscribe(jobQuery, { id: job.id });
  const aMine = onA.subscribe(mine);
  const bMine = onB.subscribe(mine);
  const bobMine = [bobOnA.subscribe(mine), bobOnB.subscribe(mine)];
  const bobPeek = bobOnB.subscribe(jobQuery, { id: job.id });

  // The current state first: subscribing is complete once it has arrived.
  await until("initial states", () => aJob.payloads.length === 1 && bJob.payloads.length === 1);
  await until("bob refused", () => bobPeek.errors.length > 0);
  // myJobUpdates has no first state: wait until both gateways listen on alice's channel.
  await until("both gateways listening", async () => (await subscribers(liveChannels.user(stack.keyPrefix, alice.userId))) === 2);

  await transition(job.id, "PROCESSING", 0);
  await transition(job.id, "PROCESSING", 40);
  await transition(job.id, "COMPLETED", 100);
  await until("COMPLETED on both", () =>
    [aJob, bJob, aMine, bMine].every((r) => r.payloads.at(-1)?.[Object.keys(r.payloads.at(-1) ?? {})[0] ?? ""]?.status === "COMPLETED"),
  );
  await sleep(300); // anything extra (a duplicate) would arrive by now

  const states = (r: { payloads: any[] }, field: string) => r.payloads.map((p) => `${p[field].status}:${p[field].progress}`);
  const expected = ["PENDING:0", "PROCESSING:0", "PROCESSING:40", "COMPLETED:100"];
  expect(states(aJob, "jobUpdated")).toEqual(expected);
  expect(states(bJob, "jobUpdated")).toEqual(expected);
  expect(states(aMine, "myJobUpdates")).toEqual(expected.slice(1));
  expect(states(bMine, "myJobUpdates")).toEqual(expected.slice(1));
  expect(aJob.payloads[0].jobUpdated.requestedBy.displayName).toEqual(expect.any(String));
  expect(bobMine.map((r) => r.payloads)).toEqual([[], []]);
  expect(bobPeek.payloads).toEqual([]);
  expect(bobPeek.errors[0]).toMatchObject({ extensions: { code: "NOT_FOUND" } });
});

/**
 * Redis going away and coming back: a throwaway redis-server on a free port carries the live
 * events of one gateway; the test stops it and starts it again on the same port. Delivery resumes
 * by itself, and what changed while Redis was away reaches the client as the job's current state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createLogger, createRedis, type Redis } from "@agora/platform";
import { liveChannels, publishJobState } from "@agora/platform/live-events";
import pg from "pg";
import { createGateway, type Gateway } from "../../src/server.js";
import { startStack, type Stack } from "../support/stack.js";
import { liveClient, until, type LiveClient } from "./live-client.js";

let stack: Stack;
let sql: pg.Client;
let gateway: Gateway;
let gatewayUrl: string;
let redisPort: number;
let redisServer: ChildProcess | undefined;
let publisher: { redis: Redis; keyPrefix: string; log: ReturnType<typeof createLogger> };
let client: LiveClient | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  redisServer = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const probe = createRedis(`redis://127.0.0.1:${redisPort}`, { lazyConnect: true, retryStrategy: () => null });
  await until("redis-server up", async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    }
  });
  probe.disconnect();
}

async function stopRedis() {
  const server = redisServer;
  redisServer = undefined;
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}

beforeAll(async () => {
  stack = await startStack({ label: "liveoutage", seed: { users: 3, offers: 1, reviewsPerOffer: 0 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  redisPort = await freePort();
  await startRedis();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  gateway = await createGateway({ ...stack.gatewayConfig, REDIS_URL: redisUrl }, createLogger("gateway", "silent"));
  gatewayUrl = `${(await gateway.listen(0, "127.0.0.1")).url}/graphql`;
  publisher = { redis: createRedis(redisUrl), keyPrefix: stack.keyPrefix, log: createLogger("publisher", "silent") };
});
afterAll(async () => {
  await client?.dispose();
  await gateway.stop();
  publisher.redis.disconnect();
  await stopRedis();
  await sql.end();
  await stack.stop();
});

const listening = async (channel: string) => {
  try {
    return Number(((await publisher.redis.pubsub("NUMSUB", channel)) as [string, number])[1]);
  } catch {
    return 0;
  }
};

it("resumes delivery after Redis comes back, and catches up on what changed meanwhile", async () => {
  const alice = await stack.login("alice@agora.test");
  const jobId = (
    await sql.query(
      "INSERT INTO jobs.jobs (id, type, status, input, requested_by) VALUES (gen_random_uuid(), 'NOOP', 'PENDING', '{}', $1) RETURNING id",
      [alice.userId],
    )
  ).rows[0].id as string;
  const transition = async (status: string, progress: number) => {
    await sql.query("UPDATE jobs.jobs SET status = $2, progress = $3, updated_at = now() WHERE id = $1", [jobId, status, progress]);
    await publishJobState(publisher, stack.runtimes.jobs.db.primary, jobId);
  };

  client = liveClient(gatewayUrl, alice.accessToken);
  const job = client.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress } }`, { id: jobId });
  await until("first state", () => job.payloads.length === 1);
  await transition("PROCESSING", 10);
  await until("PROCESSING 10", () => job.payloads.length === 2);

  await stopRedis();
  // Committed while Redis is away: the event is lost (publishing logs and carries on).
  await transition("PROCESSING", 50);
  await startRedis();

  // The gateway's subscriber reconnects and re-subscribes; it then re-reads the job.
  await until("re-subscribed", async () => (await listening(liveChannels.job(stack.keyPrefix, jobId))) === 1);
  await until("caught up", () => job.payloads.length === 3);
  await transition("COMPLETED", 100);
  await until("COMPLETED", () => job.payloads.length === 4);

  expect(job.payloads.map((p) => `${p.jobUpdated.status}:${p.jobUpdated.progress}`)).toEqual([
    "PENDING:0",
    "PROCESSING:10",
    "PROCESSING:50",
    "COMPLETED:100",
  ]);
  expect(client.closes).toEqual([]);
});

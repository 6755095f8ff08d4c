/**
 * A worker process refuses to start on a Redis that may evict keys, and names the dependency it
 * cannot reach. Throwaway redis-servers on free ports stand in for misconfigured ones.
 */
import { jest } from "@jest/globals";
import { throwawayRedis, type ThrowawayRedis } from "@agora/platform/testing";
import { createHarness, freePort, spawnWorker, type Harness } from "./support/harness.js";

jest.setTimeout(60_000);

let h: Harness;
const servers: ThrowawayRedis[] = [];
beforeAll(async () => {
  h = await createHarness("startup");
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop("SIGKILL")));
  await h.close();
});

async function redisWith(...args: string[]): Promise<string> {
  const server = await throwawayRedis(args);
  servers.push(server);
  await server.start();
  return server.url;
}

async function failedStart(env: Record<string, string>) {
  const worker = spawnWorker(h.env(env));
  const { code } = await worker.exited;
  return { code, output: worker.output() };
}

it("refuses to start when Redis may evict keys", async () => {
  const url = await redisWith("--maxmemory-policy", "allkeys-lru");
  const { code, output } = await failedStart({ REDIS_URL: url });
  expect(code).not.toBe(0);
  expect(output).toMatch(/maxmemory-policy "allkeys-lru"; BullMQ needs "noeviction"/);
  expect(output).toContain(url.replace("redis://", ""));
});

it("reads the policy from INFO where CONFIG is disabled", async () => {
  const evicting = await redisWith("--maxmemory-policy", "volatile-lru", "--rename-command", "CONFIG", "");
  const refused = await failedStart({ REDIS_URL: evicting });
  expect(refused.code).not.toBe(0);
  expect(refused.output).toMatch(/maxmemory-policy "volatile-lru"/);

  const safe = await redisWith("--maxmemory-policy", "noeviction", "--rename-command", "CONFIG", "");
  const worker = await h.startWorker({ REDIS_URL: safe, WORKER_QUEUES: "moderation" });
  worker.child.kill("SIGTERM");
  expect((await worker.exited).code).toBe(0);
});

it("names Redis or PostgreSQL and where it looked when unreachable", async () => {
  const redisPort = await freePort();
  const noRedis = await failedStart({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  expect(noRedis.code).not.toBe(0);
  expect(noRedis.output).toMatch(new RegExp(`Redis is not reachable at 127\\.0\\.0\\.1:${redisPort}`));

  const pgPort = await freePort();
  const noPostgres = await failedStart({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}/agora_nowhere` });
  expect(noPostgres.code).not.toBe(0);
  expect(noPostgres.output).toMatch(new RegExp(`PostgreSQL is not reachable at 127\\.0\\.0\\.1:${pgPort}/agora_nowhere`));
});

it("rejects invalid configuration naming the variable", async () => {
  const { code, output } = await failedStart({ WORKER_QUEUES: "images,analytics", WORKER_CONCURRENCY: "0" });
  expect(code).not.toBe(0);
  expect(output).toMatch(/WORKER_QUEUES: unknown queue\(s\) images/);
  expect(output).toMatch(/WORKER_CONCURRENCY:/);
});

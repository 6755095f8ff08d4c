/** Test harness: a jobs subgraph on a free port with its own database, storage directory and
 * BullMQ prefix; helpers to call it as a given user and to look into Redis and Postgres. */
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { bullPrefix, queueForJobType } from "@agora/platform/queues";
import { createDatabase, type Database, type Db } from "@agora/platform/database";
import { createLogger, identityHeader, signIdentity, type Identity, type Role } from "@agora/platform";
import { createTestDatabase, graphqlRequest, testKeyPrefix, testRedisUrl } from "@agora/platform/testing";
import { createJobsSubgraph, type JobsSubgraph } from "../src/server.js";
import type { JobsSettings } from "../src/settings.js";

export const internalSecret = "jobs-test-internal-secret-0123456789abcdef";
export const silentLog = createLogger("jobs-test", process.env.TEST_LOG_LEVEL ?? "silent");

export interface TestUser extends Identity {
  headers: Record<string, string>;
}

export async function user(role: Role = "USER"): Promise<TestUser> {
  const identity: Identity = { userId: randomUUID(), role };
  return { ...identity, headers: { [identityHeader]: await signIdentity(identity, internalSecret, 600) } };
}

/** A TCP port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Harness {
  url: string;
  server: JobsSubgraph;
  db: Database;
  settings: JobsSettings;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: TestUser): ReturnType<typeof graphqlRequest<T>>;
  /** A BullMQ queue handle on the test prefix (closed by close()). */
  queue(type: Db.JobType): Queue;
  close(): Promise<void>;
}

export interface HarnessOptions {
  settings?: Partial<JobsSettings>;
  /** Reuse a database (another harness's); a fresh one otherwise. */
  databaseUrl?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase("jobs"));
  const db = createDatabase({ url: databaseUrl, poolSize: 5 });
  const storageDir = await mkdtemp(join(tmpdir(), "agora-jobs-test-"));
  const settings: JobsSettings = {
    storageDir,
    publicBaseUrl: "http://cdn.test:4000",
    uploadMaxBytes: 10 * 1024 * 1024,
    imageMaxPixels: 40_000_000,
    maxAttempts: 3,
    backoffMs: 1000,
    outboxPollMs: 200,
    outboxRedisTimeoutMs: 1500,
    redisUrl: testRedisUrl(),
    bullPrefix: bullPrefix(testKeyPrefix("jobs")),
    ...options.settings,
  };
  const server = await createJobsSubgraph(
    { db, log: silentLog, internalSecret, bodyLimitBytes: 1_048_576, exposeErrorDetails: false },
    settings,
  );
  const running = await server.listen(0, "127.0.0.1");
  const queueConnection = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  const queues = new Map<string, Queue>();
  return {
    url: running.url,
    server,
    db,
    settings,
    gql: (query, variables, as) => graphqlRequest(running.url, query, variables, as?.headers ?? {}),
    queue(type) {
      const name = queueForJobType[type];
      let queue = queues.get(name);
      if (!queue) {
        queue = new Queue(name, { connection: queueConnection, prefix: settings.bullPrefix });
        queues.set(name, queue);
      }
      return queue;
    },
    async close() {
      await server.stop();
      await Promise.all([...queues.values()].map((q) => q.close()));
      queueConnection.disconnect();
      await db.disconnect();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` (dot-files included), relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name)));
}

export const jobFields = "id type status progress priority attempts input result error requestedBy { id } createdAt startedAt finishedAt";

export { eventually } from "@agora/platform/testing";

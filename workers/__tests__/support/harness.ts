/**
 * Real worker processes for tests: `node --import tsx workers/src/index.ts` with a database, Redis
 * key prefix and storage directory of the test's own. Tests play the outbox relay themselves:
 * insert a jobs.jobs row, then add the BullMQ job whose id is the row id.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import { bullPrefix, bullPriority, queueForJobType, queueNames, type QueueName } from "@agora/platform/queues";
import { createDatabase, type Database, type Db } from "@agora/platform/database";
import { createTestDatabase, testKeyPrefix, testRedisUrl } from "@agora/platform/testing";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the health URL once the process logged "workers ready"; rejects if it exits first. */
  ready: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a log line matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "workers/src/index.ts"], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: "", NODE_ENV: "test", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) {
          cleanup();
          resolve(match[0]);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No output matching ${pattern} within ${timeoutMs} ms. Output:\n${output}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        cleanup();
        reject(new Error(`Worker exited before output matching ${pattern}. Output:\n${output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", onExit);
      };
      listeners.add(check);
      child.once("exit", onExit);
      check();
    });
  const ready = waitForOutput(/"healthUrl":"[^"]+"[^\n]*"msg":"workers ready"/).then((line) => /"healthUrl":"([^"]+)"/.exec(line)![1]!);
  ready.catch(() => undefined);
  return { child, pid: child.pid!, output: () => output, ready, exited, waitForOutput };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface Transition {
  job_id: string;
  old_status: string;
  new_status: string;
  attempts: number;
  at: Date;
}

export interface NewJob {
  type: Db.JobType;
  input?: Record<string, unknown>;
  maxAttempts?: number;
  priority?: number;
  /** Base delay of the exponential-jitter backoff. */
  backoffMs?: number;
}

export interface Harness {
  databaseUrl: string;
  db: Database;
  prisma: Database["primary"];
  redis: Redis;
  prefix: string;
  storageDir: string;
  queue(name: QueueName): Queue;
  /** Environment for a worker process of this harness; `overrides` win. */
  env(overrides?: Record<string, string>): Record<string, string>;
  startWorker(overrides?: Record<string, string>): Promise<WorkerProcess & { healthUrl: string }>;
  /** Inserts the row only (PENDING, not yet queued). */
  insertJob(job: NewJob): Promise<Db.Job>;
  /** Adds the BullMQ job for a row, as the outbox relay does. */
  enqueue(row: Db.Job, backoffMs?: number): Promise<Job>;
  /** insertJob + enqueue. */
  submit(job: NewJob): Promise<Db.Job>;
  job(id: string): Promise<Db.Job>;
  waitForStatus(id: string, status: Db.JobStatus | Db.JobStatus[], timeoutMs?: number): Promise<Db.Job>;
  /** Every status change (and restart) of a row, recorded by a trigger of the test database. */
  transitions(id: string): Promise<Transition[]>;
  stopAll(): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(label: string): Promise<Harness> {
  const databaseUrl = await createTestDatabase(label);
  const db = createDatabase({ url: databaseUrl, poolSize: 4 });
  const prisma = db.primary;
  // Test-only audit of row transitions, to count them (exactly one COMPLETED, restarts, retry delays).
  await prisma.$executeRawUnsafe(
    `CREATE TABLE public.job_transitions (job_id uuid, old_status text, new_status text, attempts int, at timestamptz DEFAULT clock_timestamp())`,
  );
  await prisma.$executeRawUnsafe(`
    CREATE FUNCTION public.record_job_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status OR NEW.attempts IS DISTINCT FROM OLD.attempts THEN
        INSERT INTO public.job_transitions (job_id, old_status, new_status, attempts) VALUES (NEW.id, OLD.status, NEW.status, NEW.attempts);
      END IF;
      RETURN NEW;
    END $$`);
  await prisma.$executeRawUnsafe(
    `CREATE TRIGGER record_job_transition AFTER UPDATE ON jobs.jobs FOR EACH ROW EXECUTE FUNCTION public.record_job_transition()`,
  );

  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const prefix = testKeyPrefix(label);
  const storageDir = await mkdtemp(join(tmpdir(), `agora-workers-${label}-`));
  const queues = new Map<QueueName, Queue>();
  const queue = (name: QueueName) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: redis, prefix: bullPrefix(prefix) });
      queues.set(name, q);
    }
    return q;
  };
  const processes: WorkerProcess[] = [];

  const env = (overrides: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: "5",
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    STORAGE_DIR: storageDir,
    WORKER_HEALTH_PORT: "0",
    WORKER_HEALTH_HOST: "127.0.0.1",
    WORKER_LOCK_DURATION_MS: "2000",
    WORKER_STALLED_INTERVAL_MS: "1000",
    JOB_PROGRESS_THROTTLE_MS: "0",
    ANALYTICS_ROLLUP_EVERY_MS: "0",
    MAINTENANCE_EVERY_MS: "0",
    ANALYTICS_BLOCK_MS: "200",
    ...overrides,
  });

  const insertJob = (job: NewJob) =>
    prisma.job.create({
      data: {
        type: job.type,
        input: (job.input ?? {}) as object,
        maxAttempts: job.maxAttempts ?? 3,
        priority: job.priority ?? 0,
        requestedBy: randomUUID(),
      },
    });

  const enqueue = async (row: Db.Job, backoffMs = 200) => {
    const added = await queue(queueForJobType[row.type]).add(
      row.type,
      { jobId: row.id },
      {
        jobId: row.id,
        attempts: row.maxAttempts,
        backoff: { type: "exponential-jitter", delay: backoffMs },
        priority: bullPriority(row.priority),
      },
    );
    await prisma.job.update({ where: { id: row.id }, data: { enqueuedAt: new Date() } });
    return added;
  };

  const job = async (id: string) => (await prisma.job.findUniqueOrThrow({ where: { id } })) as Db.Job;

  const stopAll = async () => {
    await Promise.all(
      processes.splice(0).map(async (worker) => {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
        await worker.exited;
      }),
    );
  };

  return {
    databaseUrl,
    db,
    prisma,
    redis,
    prefix,
    storageDir,
    queue,
    env,
    async startWorker(overrides) {
      const worker = spawnWorker(env(overrides));
      processes.push(worker);
      const healthUrl = await worker.ready;
      return Object.assign(worker, { healthUrl });
    },
    insertJob,
    enqueue,
    async submit(newJob) {
      const row = await insertJob(newJob);
      await enqueue(row, newJob.backoffMs);
      return row;
    },
    job,
    async waitForStatus(id, status, timeoutMs = 30_000) {
      const wanted = Array.isArray(status) ? status : [status];
      let last: Db.Job | undefined;
      try {
        return await waitFor(
          `job ${id} to be ${wanted.join("|")}`,
          async () => {
            last = await job(id);
            return wanted.includes(last.status) ? last : null;
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; it is ${last?.status} (attempts ${last?.attempts}, error ${last?.error})`);
      }
    },
    async transitions(id) {
      return prisma.$queryRawUnsafe<Transition[]>(
        `SELECT job_id::text, old_status, new_status, attempts, at FROM public.job_transitions WHERE job_id = $1::uuid ORDER BY at`,
        id,
      );
    },
    stopAll,
    async close() {
      await stopAll();
      // Keys go with the run's prefix in the Jest global teardown.
      await Promise.all([...queues.values()].map((q) => q.close()));
      redis.disconnect();
      await db.disconnect();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export { queueNames };

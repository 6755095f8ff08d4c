/**
 * The workers benchmark (`tsx bench/workers.bench.ts`), side by side in one run:
 *
 *  1. images/s: N uploads through real worker processes (row + BullMQ add as the outbox does, then
 *     IMAGE_PROCESSING: three variants on disk, OfferImage row, COMPLETED), from the first add to
 *     the last COMPLETED, vs a bare `sharp` loop doing the same decode/resize/encode work (original
 *     re-encode, 1024 and 320 WebP, stats) in one process at the same concurrency;
 *  2. jobs/s: M no-op jobs through the platform's queueing (rows inserted, outbox-style add with
 *     id/attempts/backoff/priority, guarded PENDING->PROCESSING->COMPLETED updates) vs bare BullMQ
 *     (add + empty processor in a worker process of the same concurrency).
 *
 * Knobs: BENCH_IMAGES (40), BENCH_IMAGE_WIDTH x BENCH_IMAGE_HEIGHT (3000x2000), BENCH_NOOP_JOBS
 * (3000), BENCH_NOOP_CONCURRENCY (50), BENCH_ROUNDS (3; medians reported),
 * BENCH_WORKERS_DATABASE_URL (agora_bench_workers, migrated when needed), REDIS_URL.
 * Writes bench/results/workers.json and workers.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { bullPrefix, bullPriority, queueNames } from "@agora/platform/queues";
import { createDatabase } from "@agora/platform/database";
import { defaultConcurrency } from "../src/config.js";
import { renderImage } from "../src/images/variants.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const env = process.env;
const images = Number(env.BENCH_IMAGES ?? 40);
const imageWidth = Number(env.BENCH_IMAGE_WIDTH ?? 3000);
const imageHeight = Number(env.BENCH_IMAGE_HEIGHT ?? 2000);
const noopJobs = Number(env.BENCH_NOOP_JOBS ?? 3000);
const noopConcurrency = Number(env.BENCH_NOOP_CONCURRENCY ?? 50);
const rounds = Number(env.BENCH_ROUNDS ?? 3);
const imageConcurrency = defaultConcurrency["image-processing"];
const databaseUrl = env.BENCH_WORKERS_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench_workers";
const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `agora-bench:workers:${randomBytes(3).toString("hex")}:`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((child) => child.kill("SIGKILL")));

function startProcess(script: string, extraEnv: Record<string, string>, readyPattern: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...env, NODE_OPTIONS: "", NODE_ENV: "production", LOG_LEVEL: "info", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (readyPattern.test(output)) {
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}) before it was ready:\n${output}`)));
  });
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

// ---------------------------------------------------------------------------------------------
console.log(
  `workers bench: ${images} images ${imageWidth}x${imageHeight} JPEG, ${noopJobs} no-op jobs, ${rounds} round(s), ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? "?"})`,
);
const migrate = spawnSync(process.execPath, ["--import", "tsx", "prisma/migrate.ts"], {
  cwd: root,
  env: { ...env, NODE_OPTIONS: "", DATABASE_URL: databaseUrl },
  stdio: "inherit",
});
if (migrate.status !== 0) throw new Error(`Could not migrate ${databaseUrl}`);

const db = createDatabase({ url: databaseUrl, poolSize: 4 });
const prisma = db.primary;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const storageDir = await mkdtemp(join(tmpdir(), "agora-bench-workers-"));
await mkdir(join(storageDir, "uploads"), { recursive: true });

// Photo-like sources: noise defeats the encoders' shortcuts on flat colour.
const variantsOfSource = 4;
const sources: Buffer[] = [];
for (let i = 0; i < variantsOfSource; i++) {
  sources.push(
    await sharp({
      create: {
        width: imageWidth,
        height: imageHeight,
        channels: 3,
        background: { r: 40 * i, g: 120, b: 200 - 30 * i },
        noise: { type: "gaussian", mean: 110 + 10 * i, sigma: 40 },
      },
    })
      .blur(1.2)
      .jpeg({ quality: 88 })
      .toBuffer(),
  );
}

async function pool<T>(items: T[], concurrency: number, run: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** The bare loop: exactly the sharp work of an IMAGE_PROCESSING job, nothing else. */
async function bareSharp(count: number): Promise<number> {
  const started = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => sources[i % sources.length]!),
    imageConcurrency,
    async (source) => {
      const base = () => sharp(source).rotate();
      await sharp(source).metadata();
      const [, , thumbnail] = await Promise.all([
        base().jpeg({ quality: 85 }).toBuffer(),
        base().resize(1024, 1024, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80 }).toBuffer(),
        base().resize(320, 320, { fit: "inside", withoutEnlargement: true }).webp({ quality: 75 }).toBuffer(),
      ]);
      await sharp(thumbnail).stats();
    },
  );
  return (count / (performance.now() - started)) * 1000;
}

/** Completion is watched the same way on both sides (BullMQ's completed count), then the rows are checked. */
async function waitForBullCompleted(target: Queue, before: number, count: number): Promise<void> {
  for (;;) {
    const counts = await target.getJobCounts("completed", "failed");
    if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} bench job(s) failed`);
    if ((counts.completed ?? 0) - before >= count) return;
    await sleep(10);
  }
}

async function assertRowsCompleted(ids: string[]): Promise<void> {
  const [row] = await prisma.$queryRaw<
    { done: number }[]
  >`SELECT count(*)::int AS done FROM jobs.jobs WHERE id = ANY(${ids}::uuid[]) AND status = 'COMPLETED'`;
  if (row!.done !== ids.length) throw new Error(`Only ${row!.done} of ${ids.length} rows are COMPLETED`);
}

const queues = new Map<string, Queue>();
const queue = (name: string, queuePrefix = bullPrefix(prefix)) => {
  const key = `${queuePrefix}:${name}`;
  if (!queues.has(key)) queues.set(key, new Queue(name, { connection: redis, prefix: queuePrefix }));
  return queues.get(key)!;
};

/** Rows + outbox-style adds, then wait for every row to be COMPLETED. */
async function throughPlatform(type: "IMAGE_PROCESSING" | "NOOP", count: number, prepare?: (id: string) => Promise<void>): Promise<number> {
  const ids = Array.from({ length: count }, () => randomUUID());
  if (prepare) await Promise.all(ids.map(prepare));
  const requestedBy = randomUUID();
  const target = queue(type === "NOOP" ? queueNames.maintenance : queueNames.imageProcessing);
  const before = (await target.getJobCounts("completed")).completed ?? 0;
  const started = performance.now();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    // One INSERT per chunk, as a batch createJobs would (Prisma's createMany costs ~5x this here).
    await prisma.$executeRaw`INSERT INTO jobs.jobs (id, type, requested_by, max_attempts) SELECT unnest(${chunk}::uuid[]), ${type}::jobs."JobType", ${requestedBy}::uuid, 3`;
    await target.addBulk(
      chunk.map((id) => ({
        name: type,
        data: { jobId: id },
        opts: { jobId: id, attempts: 3, backoff: { type: "exponential-jitter", delay: 1000 }, priority: bullPriority(0) },
      })),
    );
  }
  await waitForBullCompleted(target, before, count);
  const perSecond = (count / (performance.now() - started)) * 1000;
  await assertRowsCompleted(ids);
  return perSecond;
}

async function throughBareBullMQ(count: number): Promise<number> {
  const target = queue("bare", `${prefix}bare`);
  const before = (await target.getJobCounts("completed")).completed ?? 0;
  const started = performance.now();
  for (let i = 0; i < count; i += 500) {
    await target.addBulk(Array.from({ length: Math.min(500, count - i) }, () => ({ name: "noop", data: {} })));
  }
  await waitForBullCompleted(target, before, count);
  return (count / (performance.now() - started)) * 1000;
}

const uploadSource = (i: number) => async (id: string) => {
  await writeFile(join(storageDir, "uploads", `${id}.jpg`), sources[i++ % sources.length]!);
};

const workerEnv = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: prefix,
  STORAGE_DIR: storageDir,
  WORKER_HEALTH_PORT: "0",
  WORKER_HEALTH_HOST: "127.0.0.1",
  ANALYTICS_ROLLUP_EVERY_MS: "0",
  MAINTENANCE_EVERY_MS: "0",
  INTERNAL_SECRET: randomBytes(24).toString("hex"),
};
const ready = /"msg":"workers ready"/;

interface Round {
  imagesPerSecond: { pipeline: number; bareSharp: number };
  jobsPerSecond: { platform: number; bareBullMQ: number };
}
const results: Round[] = [];
try {
  const imageWorker = await startProcess(
    "workers/src/index.ts",
    { ...workerEnv, WORKER_QUEUES: queueNames.imageProcessing, DATABASE_POOL_SIZE: "4" },
    ready,
  );
  // Warm-up: JIT, libvips caches, connection pools, on both sides.
  await renderImage(sources[0]!);
  await bareSharp(4);
  await throughPlatform("IMAGE_PROCESSING", 4, uploadSource(0));
  for (let round = 1; round <= rounds; round++) {
    const bare = await bareSharp(images);
    const pipeline = await throughPlatform("IMAGE_PROCESSING", images, uploadSource(round));
    results.push({ imagesPerSecond: { pipeline, bareSharp: bare }, jobsPerSecond: { platform: 0, bareBullMQ: 0 } });
    console.log(`  round ${round} images/s: pipeline ${pipeline.toFixed(2)}, bare sharp ${bare.toFixed(2)}`);
  }
  await stopProcess(imageWorker);

  const noopWorker = await startProcess(
    "workers/src/index.ts",
    {
      ...workerEnv,
      WORKER_QUEUES: queueNames.maintenance,
      WORKER_CONCURRENCY: String(noopConcurrency),
      DATABASE_POOL_SIZE: String(Math.min(noopConcurrency, 20)),
    },
    ready,
  );
  const bareWorker = await startProcess(
    "workers/bench/bare-worker.ts",
    { REDIS_URL: redisUrl, BARE_PREFIX: `${prefix}bare`, BARE_QUEUE: "bare", BARE_CONCURRENCY: String(noopConcurrency) },
    /ready/,
  );
  await throughPlatform("NOOP", 500);
  await throughBareBullMQ(500);
  for (let round = 1; round <= rounds; round++) {
    const bare = await throughBareBullMQ(noopJobs);
    const platform = await throughPlatform("NOOP", noopJobs);
    results[round - 1]!.jobsPerSecond = { platform, bareBullMQ: bare };
    console.log(`  round ${round} jobs/s: platform ${platform.toFixed(0)}, bare BullMQ ${bare.toFixed(0)}`);
  }
  await Promise.all([stopProcess(noopWorker), stopProcess(bareWorker)]);
} finally {
  for (const q of queues.values()) await q.close();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  await prisma.$executeRaw`DELETE FROM jobs.offer_images`;
  await prisma.$executeRaw`DELETE FROM jobs.jobs`;
  await db.disconnect();
  await rm(storageDir, { recursive: true, force: true });
}

// Each round runs both sides back to back, so a round's ratio compares like with like on this
// shared machine; the summary takes the median round (ratio and figures alike).
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const summary = {
  imagesPerSecond: {
    pipeline: median(results.map((r) => r.imagesPerSecond.pipeline)),
    bareSharp: median(results.map((r) => r.imagesPerSecond.bareSharp)),
  },
  noopJobsPerSecond: {
    platform: median(results.map((r) => r.jobsPerSecond.platform)),
    bareBullMQ: median(results.map((r) => r.jobsPerSecond.bareBullMQ)),
  },
};
const imageRatio = median(results.map((r) => r.imagesPerSecond.pipeline / r.imagesPerSecond.bareSharp));
const jobRatio = median(results.map((r) => r.jobsPerSecond.platform / r.jobsPerSecond.bareBullMQ));
const report = {
  at: new Date().toISOString(),
  machine: {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? null,
    node: process.version,
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
  },
  settings: { images, imageSize: `${imageWidth}x${imageHeight}`, imageConcurrency, noopJobs, noopConcurrency, rounds },
  ...summary,
  ratios: { images: imageRatio, noopJobs: jobRatio },
  targets: { images: 0.8, noopJobs: 0.9 },
  rounds: results,
};
const rows = [
  ["measure", "platform", "bare", "ratio", "target"],
  [
    "images/s (pipeline vs bare sharp)",
    summary.imagesPerSecond.pipeline.toFixed(2),
    summary.imagesPerSecond.bareSharp.toFixed(2),
    imageRatio.toFixed(2),
    "≥ 0.80",
  ],
  [
    "no-op jobs/s (platform vs bare BullMQ)",
    summary.noopJobsPerSecond.platform.toFixed(0),
    summary.noopJobsPerSecond.bareBullMQ.toFixed(0),
    jobRatio.toFixed(2),
    "≥ 0.90",
  ],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const table = rows
  .map(
    (r, i) =>
      `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |${i === 0 ? `\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|` : ""}`,
  )
  .join("\n");
console.log(`\n${table}\n`);
const resultsDir = join(root, "bench", "results");
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, "workers.json"), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(
  join(resultsDir, "workers.md"),
  `# Workers benchmark\n\n${report.at}, ${report.machine.cpus} CPU(s) ${report.machine.model ?? ""}, Node ${report.machine.node}, sharp ${report.machine.sharp} (libvips ${report.machine.vips}).\n` +
    `${images} JPEG uploads of ${imageWidth}x${imageHeight} at concurrency ${imageConcurrency}; ${noopJobs} no-op jobs at concurrency ${noopConcurrency}; median of ${rounds} round(s), each running both sides back to back.\n\n${table}\n`,
);
console.log("Wrote bench/results/workers.json and workers.md");
process.exit(0);

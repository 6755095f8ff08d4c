/**
 * `pnpm bench:subscriptions`: live updates through one gateway.
 *
 *  1. memory per open socket: the gateway's RSS before and after BENCH_SOCKETS sockets (default
 *     1000) each holding one `jobUpdated` subscription (with a federated field, `requestedBy
 *     { displayName }`), divided by the number of sockets;
 *  2. fan-out: BENCH_EVENTS (default 10) job events published back to back, as a worker does (UPDATE
 *     committed, then `publishJobState`); delivered payloads per second until every subscriber has
 *     every event, i.e. events/s × subscribers;
 *  3. latency: BENCH_EVENTS events one at a time (each after the previous one reached everyone):
 *     p50/p95 from the moment the UPDATE committed to the moment a client had the payload.
 *
 * Two scenarios side by side: `distinct` (every subscriber an identity of its own, ADMIN so each may
 * read the one job: every event costs one query through the gateway per subscriber, the worst
 * case) and `shared` (one identity on every socket: subscribers of one event share one query).
 * Services run compiled (`pnpm build` first) as separate processes on free ports against the
 * benchmark database (BENCH_DATABASE_URL, default agora_bench, migrated and seeded when empty);
 * clients and the publisher run in this process. Writes bench/results/subscriptions.json and .md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { createDatabase } from "@agora/platform/database";
import { createLogger, createRedis, issueAccessToken } from "@agora/platform";
import { publishJobState } from "@agora/platform/live-events";
import { applyMigrations } from "@agora/prisma/migrations";
import { ensureDatabase } from "@agora/prisma/ensure-database";
import { freePort, rssKb, waitReady } from "./support.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const socketCount = Number(process.env.BENCH_SOCKETS ?? 1000);
const eventCount = Number(process.env.BENCH_EVENTS ?? 10);
const jwtSecret = "bench-jwt-secret-0123456789abcdef-0123";
const keyPrefix = `agora-bench:${Date.now()}:`;

const build = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], { cwd: root, stdio: "inherit" });
if (build.status !== 0) throw new Error("pnpm build failed");

const children: ChildProcess[] = [];
function start(packageDir: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=compiled", "--enable-source-maps", join(root, packageDir, "dist/index.js")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      INTERNAL_SECRET: "bench-internal-secret-0123456789abcdef",
      JWT_SECRET: jwtSecret,
      OUTBOX_POLL_MS: "60000",
      STORAGE_DIR: join(root, "storage", "bench"),
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  return child;
}
process.on("exit", () => children.forEach((c) => c.kill("SIGTERM")));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// 1. Data: the benchmark database, and one job to follow.
await ensureDatabase(databaseUrl);
await applyMigrations(databaseUrl);
const sql = new pg.Client({ connectionString: databaseUrl });
await sql.connect();
if (Number((await sql.query("SELECT count(*) AS n FROM users.users")).rows[0].n) === 0) {
  const seeded = spawnSync(process.execPath, ["--import", "tsx", join(root, "prisma/seed.ts")], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: databaseUrl },
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("seeding failed");
}
const owner = (await sql.query("SELECT id FROM users.users ORDER BY created_at LIMIT 1")).rows[0].id as string;
const jobId = (
  await sql.query(
    "INSERT INTO jobs.jobs (id, type, status, input, requested_by) VALUES (gen_random_uuid(), 'NOOP', 'PROCESSING', '{}', $1) RETURNING id",
    [owner],
  )
).rows[0].id as string;

// 2. Services
const ports = {
  users: await freePort(),
  offers: await freePort(),
  reviews: await freePort(),
  jobs: await freePort(),
  gateway: await freePort(),
};
const subgraphUrl = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}/graphql`;
start("subgraphs/users", { PORT: String(ports.users) });
start("subgraphs/offers", { PORT: String(ports.offers) });
start("subgraphs/reviews", { PORT: String(ports.reviews), OFFERS_SUBGRAPH_URL: subgraphUrl("offers") });
start("subgraphs/jobs", { PORT: String(ports.jobs) });
await Promise.all((["users", "offers", "reviews", "jobs"] as const).map((n) => waitReady(`http://127.0.0.1:${ports[n]}/health/ready`)));
const gateway = start("gateway", {
  GATEWAY_PORT: String(ports.gateway),
  USERS_URL: subgraphUrl("users"),
  OFFERS_URL: subgraphUrl("offers"),
  REVIEWS_URL: subgraphUrl("reviews"),
  JOBS_URL: subgraphUrl("jobs"),
  SUBSCRIPTIONS_MAX_SOCKETS_PER_IP: String(socketCount + 10),
  SUBSCRIPTIONS_MAX_SOCKETS_PER_USER: String(socketCount + 10),
  SUBSCRIPTIONS_MAX_QUEUED_EVENTS: String(eventCount + 10),
});
await waitReady(`http://127.0.0.1:${ports.gateway}/health/ready`);

// 3. Sockets, one subscription each; every payload is recorded with its arrival time.
const settings = { secret: jwtSecret, issuer: "agora-users", audience: "agora-api", ttlSeconds: 3600 };
const db = createDatabase({ url: databaseUrl, poolSize: 2 });
const publisher = { redis: createRedis(redisUrl), keyPrefix, log: createLogger("bench", "warn") };
let nextProgress = 0;

/**
 * `distinct`: every socket a different identity, so each event is one query per subscriber (the
 * worst case). `shared`: every socket the same identity, so subscribers of one event share one
 * in-flight query (shared-executions.ts), e.g. one admin dashboard open in many tabs.
 */
async function scenario(identities: "distinct" | "shared") {
  const received = new Map<number, number[]>(); // progress → arrival times (performance.now())
  let initial = 0;
  let errors = 0;
  await sleep(1000);
  const rssBeforeKb = rssKb(gateway.pid!);
  const clients: Client[] = [];
  const sharedToken = await issueAccessToken({ userId: randomUUID(), role: "ADMIN" }, settings);
  for (let i = 0; i < socketCount; i++) {
    const token = identities === "shared" ? sharedToken : await issueAccessToken({ userId: randomUUID(), role: "ADMIN" }, settings);
    const client = createClient({
      url: `ws://127.0.0.1:${ports.gateway}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
    });
    clients.push(client);
    let first = true;
    client.subscribe(
      { query: `subscription($id: ID!) { jobUpdated(id: $id) { status progress requestedBy { displayName } } }`, variables: { id: jobId } },
      {
        next: (value) => {
          const at = performance.now();
          if (first) {
            first = false;
            initial++;
            return;
          }
          if (value.errors?.length) errors++;
          const progress = (value.data as { jobUpdated?: { progress?: number } } | undefined)?.jobUpdated?.progress ?? -1;
          const list = received.get(progress) ?? [];
          list.push(at);
          received.set(progress, list);
        },
        error: () => void errors++,
        complete: () => undefined,
      },
    );
    // A few at a time, so connecting does not time out behind the others.
    if (i % 50 === 49) while (initial < i - 100) await sleep(10);
  }
  while (initial < socketCount) await sleep(20);
  await sleep(2000);
  const rssAfterKb = rssKb(gateway.pid!);
  const bytesPerSocket = Math.round(((rssAfterKb - rssBeforeKb) * 1024) / socketCount);
  console.log(
    `${identities}: ${socketCount} sockets open; gateway RSS ${Math.round(rssBeforeKb / 1024)} → ${Math.round(rssAfterKb / 1024)} MiB`,
  );

  // Publishing as a worker does: commit, then publish.
  const committedAt = new Map<number, number>();
  async function transition(progress: number) {
    await sql.query("UPDATE jobs.jobs SET progress = $2, updated_at = now() WHERE id = $1", [jobId, progress]);
    committedAt.set(progress, performance.now());
    await publishJobState(publisher, db.primary, jobId);
  }
  let lastArrival = performance.now();
  /** Until every subscriber has the event, or nothing arrived for 15 s (errors are counted apart). */
  const everyone = async (progress: number) => {
    let seen = 0;
    while ((received.get(progress)?.length ?? 0) < socketCount) {
      const now = received.get(progress)?.length ?? 0;
      if (now !== seen) [seen, lastArrival] = [now, performance.now()];
      if (performance.now() - lastArrival > 15_000) return;
      await sleep(5);
    }
  };

  // Fan-out: events back to back.
  const fanStart = performance.now();
  const fanEvents = Array.from({ length: eventCount }, () => ++nextProgress);
  for (const progress of fanEvents) await transition(progress);
  for (const progress of fanEvents) await everyone(progress);
  const fanSeconds = (performance.now() - fanStart) / 1000;
  const delivered = fanEvents.reduce((sum, p) => sum + (received.get(p)?.length ?? 0), 0);
  const fanOut = {
    delivered,
    errors,
    events: eventCount,
    subscribers: socketCount,
    payloads: eventCount * socketCount,
    seconds: Number(fanSeconds.toFixed(2)),
    payloadsPerSecond: Math.round(delivered / fanSeconds),
    eventsPerSecond: Number((eventCount / fanSeconds).toFixed(2)),
  };
  console.log(identities, "fan-out", fanOut);

  // Latency: one event at a time.
  const latencies: number[] = [];
  for (let e = 1; e <= eventCount; e++) {
    const progress = ++nextProgress;
    await transition(progress);
    await everyone(progress);
    const committed = committedAt.get(progress)!;
    for (const at of received.get(progress) ?? []) latencies.push(at - committed);
  }
  latencies.sort((a, b) => a - b);
  const latency = {
    samples: latencies.length,
    expected: eventCount * socketCount,
    errors,
    p50Ms: Math.round(percentile(latencies, 50)),
    p95Ms: Math.round(percentile(latencies, 95)),
    maxMs: Math.round(latencies.at(-1) ?? 0),
  };
  console.log(identities, "latency", latency);
  await Promise.all(clients.map((c) => c.dispose()));
  return {
    identities,
    memory: { gatewayRssBeforeMiB: Math.round(rssBeforeKb / 1024), gatewayRssAfterMiB: Math.round(rssAfterKb / 1024), bytesPerSocket },
    fanOut,
    latency,
  };
}

const distinct = await scenario("distinct");
const shared = await scenario("shared");
publisher.redis.disconnect();
await db.disconnect();
await sql.query("DELETE FROM jobs.jobs WHERE id = $1", [jobId]);
await sql.end();

const result = {
  date: new Date().toISOString(),
  machine: "2 cores shared; gateway, four subgraphs, Redis, Postgres and the clients on one host",
  sockets: socketCount,
  scenarios: [distinct, shared],
};
writeFileSync(join(root, "bench/results/subscriptions.json"), `${JSON.stringify(result, null, 2)}\n`);
const row = (r: typeof distinct) =>
  `| ${r.identities} | ${(r.memory.bytesPerSocket / 1024).toFixed(1)} KiB | ${r.fanOut.payloadsPerSecond} (${r.fanOut.eventsPerSecond} events/s to all) | ${r.latency.p50Ms} ms | ${r.latency.p95Ms} ms |`;
writeFileSync(
  join(root, "bench/results/subscriptions.md"),
  `# Subscriptions (\`pnpm bench:subscriptions\`, ${result.date})

One gateway, ${socketCount} sockets with one \`jobUpdated { status progress requestedBy { displayName } }\`
subscription each, ${eventCount} events per phase. ${result.machine}.
\`distinct\`: every socket another identity, so each event is one query through the gateway per
subscriber (worst case). \`shared\`: one identity on every socket, whose subscribers share one
in-flight query per event. Memory: the gateway's RSS growth over the sockets (an upper bound: it
includes heap not yet collected after the first-state queries).

| identities | memory per open socket | fan-out, payloads/s | latency commit → client, p50 | p95 |
| --- | --- | --- | --- | --- |
${row(distinct)}
${row(shared)}
`,
);
console.log("wrote bench/results/subscriptions.json and subscriptions.md");
process.exit(0);

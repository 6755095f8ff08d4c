/**
 * `pnpm start`: the whole platform on one machine with demo data.
 * Checks PostgreSQL and Redis, migrates, seeds an empty database, starts the four subgraphs, the
 * worker pool and the gateway tier as child processes, waits until it reports every subgraph
 * ready, prints where to go, and stops everything cleanly on Ctrl-C. The gateway tier is HAProxy
 * on :4000 in front of a primary (:4001) and a secondary (:4002) gateway when HAProxy is
 * installed, as in production; otherwise one gateway on :4000, and it says so.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { join } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { applyMigrations } from "@agora/prisma/migrations";
import { ensureDatabase } from "@agora/prisma/ensure-database";
import { prepareLocalEnvironment } from "./local-environment.js";
import { startLocalPrometheus } from "./local-prometheus.js";
import { workspaceRoot } from "./workspace-root.js";

const root = workspaceRoot();
/**
 * `pnpm start` runs this file compiled (scripts/dist/start.js) and starts every service from its
 * compiled `dist/`; `pnpm dev` runs it through tsx and starts the services from their TypeScript.
 */
const compiled = import.meta.url.endsWith(".js");
/** The node arguments that run a package's entry point (`src/index.ts` or `dist/index.js`). */
function entry(packageDir: string, file = "index"): string[] {
  return compiled
    ? ["--conditions=compiled", "--enable-source-maps", join(root, packageDir, "dist", `${file}.js`)]
    : ["--import", "tsx", join(root, packageDir, "src", `${file}.ts`)];
}
const env = process.env;
try {
  prepareLocalEnvironment(root, env);
} catch (error) {
  fail((error as Error).message);
}
const databaseUrl = env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora";
const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Where clients connect: HAProxy when installed, otherwise the only gateway. */
const publicPort = Number(env.PUBLIC_PORT ?? 4000);
const gatewayPorts = { primary: Number(env.GATEWAY_PORT ?? 4001), secondary: Number(env.GATEWAY_SECONDARY_PORT ?? 4002) };
const haproxyStatsPort = Number(env.HAPROXY_STATS_PORT ?? 8404);
/** HAProxy's runtime API socket for this run; HAProxy leaves it behind when stopped. */
const haproxySocket = join(tmpdir(), `agora-haproxy-${process.pid}.sock`);
const haproxyWanted = env.START_HAPROXY !== "0";
/** On PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
const haproxyBinary = haproxyWanted
  ? ["haproxy", "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].find((c) => spawnSync(c, ["-v"], { stdio: "ignore" }).status === 0)
  : undefined;
/** Each subgraph reads PORT; `pnpm start` takes one variable per service and hands it on. */
const ports = {
  users: Number(env.USERS_PORT ?? 4101),
  offers: Number(env.OFFERS_PORT ?? 4102),
  reviews: Number(env.REVIEWS_PORT ?? 4103),
  jobs: Number(env.JOBS_PORT ?? 4104),
};
const localUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;
const workerCount = Number(env.WORKER_COUNT ?? 2);
const host = (url: string) => new URL(url).host;

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

async function checkPostgres() {
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    fail(
      `PostgreSQL is not answering at ${host(databaseUrl)} (${(error as Error).message}).\n` +
        `  Start it:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (Debian)\n` +
        `  or point DATABASE_URL at a running server (now: ${databaseUrl}).`,
    );
  }
}

async function checkRedis() {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    fail(
      `Redis is not answering at ${host(redisUrl)} (${(error as Error).message}).\n` +
        `  Start it:  redis-server --daemonize yes --port 6379 --save "" --appendonly no\n` +
        `  or point REDIS_URL at a running server (now: ${redisUrl}).`,
    );
  } finally {
    redis.disconnect();
  }
}

async function databaseIsEmpty(): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM users.users");
    return Number(rows[0]?.n ?? 0) === 0;
  } finally {
    await client.end();
  }
}

const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

interface ProcessOptions {
  /**
   * Start the process again when it exits on its own, instead of stopping the platform: the
   * gateways behind HAProxy, whose whole point is that losing one costs clients nothing.
   * @defaultValue false
   */
  restart?: boolean;
}

function startService(name: string, packageDir: string, extraEnv: Record<string, string> = {}, options: ProcessOptions = {}) {
  startProcess(name, process.execPath, entry(packageDir), extraEnv, options);
}

function startProcess(name: string, command: string, args: string[], extraEnv: Record<string, string> = {}, options: ProcessOptions = {}) {
  const child = spawn(command, args, {
    cwd: root,
    // START_QUIET filters JSON lines by level, so it asks for JSON logs (pretty is the development default).
    env: { ...env, NODE_OPTIONS: "", ...(env.START_QUIET === "1" && !env.LOG_FORMAT ? { LOG_FORMAT: "json" } : {}), ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `${name.padEnd(10)}│ `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on("line", (line) => {
      if (env.START_QUIET !== "1" || /"level":(40|50|60)/.test(line) || !line.startsWith("{")) console.log(prefix + line);
    });
  }
  child.on("exit", (code, signal) => {
    if (stopping) return;
    if (options.restart) {
      console.error(
        `\n✖ ${name} exited (${signal ?? `code ${code}`}); HAProxy sends its requests to the other gateway; restarting it in 1 s.`,
      );
      const index = children.findIndex((c) => c.child === child);
      if (index >= 0) children.splice(index, 1);
      setTimeout(() => {
        if (!stopping) startProcess(name, command, args, extraEnv, options);
      }, 1000);
      return;
    }
    console.error(`\n✖ ${name} exited (${signal ?? `code ${code}`}); stopping the platform.`);
    void stopAll(1);
  });
  children.push({ name, child });
}

/** Stops one child: SIGTERM, then SIGKILL if it outlives `killAfterMs`. */
function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Stops the platform from the front to the back: HAProxy and the gateways first (so no new request
 * reaches a subgraph that is going away), then the subgraphs, the workers last (they finish their
 * active jobs).
 * Each group gets longer than its own drain or shutdown timeout before SIGKILL.
 */
async function stopAll(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping Agora…");
  const httpDrainMs = Number(env.SHUTDOWN_DELAY_MS ?? 0) + Number(env.SHUTDOWN_GRACE_MS ?? 10_000);
  const order: { group: (name: string) => boolean; killAfterMs: number }[] = [
    { group: (name) => name.startsWith("gateway") || name === "haproxy", killAfterMs: httpDrainMs + 5_000 },
    { group: (name) => !name.startsWith("gateway") && name !== "haproxy" && !name.startsWith("worker"), killAfterMs: httpDrainMs + 5_000 },
    { group: (name) => name.startsWith("worker"), killAfterMs: Number(env.WORKER_SHUTDOWN_TIMEOUT_MS ?? 25_000) + 10_000 },
  ];
  for (const { group, killAfterMs } of order) {
    await Promise.all(children.filter(({ name }) => group(name)).map(({ child }) => stopChild(child, killAfterMs)));
  }
  rmSync(haproxySocket, { force: true });
  console.log("Stopped.");
  process.exit(exitCode);
}

async function waitForGateway(port: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (response.ok) return;
      last = await response.text();
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  console.error(`\n✖ The gateway on :${port} did not become ready within ${timeoutMs / 1000} s. Last answer: ${last}\n`);
  await stopAll(1);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

console.log("Agora: checking PostgreSQL and Redis…");
await checkPostgres();
await checkRedis();
await ensureDatabase(databaseUrl);
const applied = await applyMigrations(databaseUrl);
console.log(applied.length ? `Applied ${applied.length} migration(s).` : "Database schema is up to date.");
if (await databaseIsEmpty()) {
  console.log("Empty database: seeding demo data…");
  const seed = spawnSync(process.execPath, compiled ? entry("prisma", "bin/seed") : ["--import", "tsx", join(root, "prisma/seed.ts")], {
    cwd: root,
    env: { ...env, NODE_OPTIONS: "" },
    stdio: "inherit",
  });
  if (seed.status !== 0) fail("Seeding failed (see above).");
}

startService("users", "subgraphs/users", { PORT: String(ports.users) });
startService("offers", "subgraphs/offers", { PORT: String(ports.offers) });
startService("reviews", "subgraphs/reviews", {
  PORT: String(ports.reviews),
  OFFERS_SUBGRAPH_URL: env.OFFERS_SUBGRAPH_URL ?? localUrl(ports.offers),
});
startService("jobs", "subgraphs/jobs", {
  PORT: String(ports.jobs),
  PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${publicPort}`,
});
for (let i = 0; i < workerCount; i++) {
  startService(`worker-${i + 1}`, "workers", { WORKER_HEALTH_PORT: String(Number(env.WORKER_HEALTH_PORT ?? 4110) + i) });
}
const gatewayEnv = {
  USERS_URL: env.USERS_URL ?? localUrl(ports.users),
  OFFERS_URL: env.OFFERS_URL ?? localUrl(ports.offers),
  REVIEWS_URL: env.REVIEWS_URL ?? localUrl(ports.reviews),
  JOBS_URL: env.JOBS_URL ?? localUrl(ports.jobs),
};
const startTimeoutMs = Number(env.START_TIMEOUT_MS ?? 90_000);
if (haproxyBinary) {
  // Behind HAProxy the gateways take the client address from X-Forwarded-For, from HAProxy only,
  // and a stopping gateway keeps serving until HAProxy's checks have taken it out (see haproxy.cfg).
  const behindProxy = {
    ...gatewayEnv,
    TRUSTED_PROXIES: env.TRUSTED_PROXIES ?? "127.0.0.1",
    SHUTDOWN_DELAY_MS: env.SHUTDOWN_DELAY_MS ?? "1000",
  };
  startService("gateway-1", "gateway", { ...behindProxy, GATEWAY_PORT: String(gatewayPorts.primary) }, { restart: true });
  startService("gateway-2", "gateway", { ...behindProxy, GATEWAY_PORT: String(gatewayPorts.secondary) }, { restart: true });
  await Promise.all([waitForGateway(gatewayPorts.primary, startTimeoutMs), waitForGateway(gatewayPorts.secondary, startTimeoutMs)]);
  // The same configuration file as in Docker; only the addresses differ (see its header).
  startProcess("haproxy", haproxyBinary, ["-db", "-f", join(root, "infra/haproxy/haproxy.cfg")], {
    // The public entry binds where the gateways would (127.0.0.1 unless GATEWAY_HOST says otherwise).
    HAPROXY_BIND: `${env.GATEWAY_HOST ?? "127.0.0.1"}:${publicPort}`,
    GATEWAY_PRIMARY: `127.0.0.1:${gatewayPorts.primary}`,
    GATEWAY_SECONDARY: `127.0.0.1:${gatewayPorts.secondary}`,
    HAPROXY_STATS_BIND: `127.0.0.1:${haproxyStatsPort}`,
    HAPROXY_STATS_SOCKET: haproxySocket,
  });
  await waitForGateway(publicPort, startTimeoutMs);
} else {
  console.log(
    haproxyWanted
      ? `HAProxy is not installed: running one gateway on :${publicPort} instead of HAProxy in front of a primary and a secondary\n` +
          `(apt-get install haproxy for the full gateway tier).`
      : `START_HAPROXY=0: running one gateway on :${publicPort}.`,
  );
  startService("gateway", "gateway", { ...gatewayEnv, GATEWAY_PORT: String(publicPort) });
  await waitForGateway(publicPort, startTimeoutMs);
}

const endpoint = `http://127.0.0.1:${publicPort}/graphql`;
const tier = haproxyBinary
  ? `  Gateway tier:                         HAProxy :${publicPort} → primary :${gatewayPorts.primary}, secondary :${gatewayPorts.secondary}
  HAProxy stats:                        http://127.0.0.1:${haproxyStatsPort}/stats
`
  : `  Gateway tier:                         one gateway on :${publicPort} (HAProxy not running)
`;
console.log(`
✔ Agora is running.

  GraphQL endpoint and Apollo Sandbox:  ${endpoint}
  Health:                               http://127.0.0.1:${publicPort}/health/ready
${tier}
  Try this federated query (in Sandbox, or with curl):

  curl -s ${endpoint} -H 'content-type: application/json' \\
    -d '{"query":"{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }"}'

  Demo login: alice@agora.test / agora-demo-password   (admin@agora.test is an admin)
  Press Ctrl-C to stop.
`);
await startLocalPrometheus({
  // Each gateway's own /metrics (HAProxy's frontend would hand the scrape to either of them).
  gatewayPorts: haproxyBinary ? [gatewayPorts.primary, gatewayPorts.secondary] : [publicPort],
  subgraphPorts: ports,
  workerPorts: Array.from({ length: workerCount }, (_, i) => Number(env.WORKER_HEALTH_PORT ?? 4110) + i),
});

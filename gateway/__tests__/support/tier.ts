/**
 * The gateway tier for failover tests: real gateway processes (children, so `kill -9` is real)
 * over a test stack's subgraphs, real HAProxy with infra/haproxy/haproxy.cfg on free ports, its
 * runtime API for server states, and a bounded load generator that records every answer.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { testRedisUrl } from "@agora/platform/testing";
import pg from "pg";
import { internalSecret, jwtSecret, startStack, type Stack } from "./stack.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
export const haproxyConfig = join(root, "infra/haproxy/haproxy.cfg");

/** HAProxy's binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
const haproxyBinary = ["haproxy", "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].find(
  (candidate) => spawnSync(candidate, ["-v"], { stdio: "ignore" }).status === 0,
);
export const haproxyInstalled = haproxyBinary !== undefined;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` until it answers true; `gone` names a reason to stop waiting at once (a child exited). */
async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  output?: () => string,
  gone?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = gone?.();
    if (reason) throw new Error(`${what}: ${reason}.${output ? `\nOutput:\n${output()}` : ""}`);
    if (await check().catch(() => false)) return;
    await delay(100);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s.${output ? `\nOutput:\n${output()}` : ""}`);
}

/** A child process whose recent output is kept for failure messages. */
interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 200));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { process: child, output: () => lines.join("\n"), exited };
}

export interface GatewayProcess extends Child {
  name: string;
  port: number;
  url: string;
}

/** Starts `gateway/src/index.ts` as a child process on `port` over the stack's subgraphs. */
export async function startGatewayProcess(
  stack: Stack,
  name: string,
  port: number,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const child = spawnChild(process.execPath, ["--import", "tsx", join(root, "gateway/src/index.ts")], {
    PATH: process.env.PATH,
    // Jest's --experimental-vm-modules is not for this process.
    NODE_OPTIONS: "",
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: String(port),
    INTERNAL_SECRET: internalSecret,
    JWT_SECRET: jwtSecret,
    USERS_URL: stack.subgraphUrls.users,
    OFFERS_URL: stack.subgraphUrls.offers,
    REVIEWS_URL: stack.subgraphUrls.reviews,
    JOBS_URL: stack.subgraphUrls.jobs,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: stack.keyPrefix,
    // Behind HAProxy on loopback. The load comes from one address at hundreds of requests a
    // second, which the rate limiter would rightly refuse; these tests are about the tier.
    TRUSTED_PROXIES: "127.0.0.1",
    RATE_LIMIT_ENABLED: "false",
    // As deployed behind HAProxy: keep serving (readiness 503) until its checks (every 250 ms,
    // fall 2) have taken this gateway out, so no new connection arrives while it closes.
    SHUTDOWN_DELAY_MS: "1000",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      `gateway ${name} did not become ready`,
      async () => (await fetch(`${url}/health/ready`)).status === 200,
      60_000,
      child.output,
      () => (child.process.exitCode !== null || child.process.signalCode !== null ? "it exited" : undefined),
    );
  } catch (error) {
    // Never leave a half-started gateway running behind a failed test.
    child.process.kill("SIGKILL");
    throw error;
  }
  return { ...child, name, port, url };
}

export interface ServerStat {
  status: string;
  /** Sessions (requests, with HAProxy's http-reuse) sent to this server in total. */
  total: number;
  /** Times this server went from UP to DOWN. */
  downs: number;
}

export interface Haproxy extends Child {
  url: string;
  statsSocket: string;
  stats(): Promise<Record<string, ServerStat>>;
  waitForStatus(server: string, status: "UP" | "DOWN", timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Sends one command to HAProxy's runtime API (the stats socket), e.g. `disable server gateways/secondary`, and returns its answer. */
export function runtimeApi(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let answer = "";
    connection.on("data", (chunk) => (answer += chunk.toString("utf8")));
    connection.on("end", () => resolve(answer));
    connection.on("error", reject);
    connection.write(`${command}\n`);
  });
}

export async function startHaproxy(gateways: { primary: number; secondary: number }): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), "agora-haproxy-"));
  const port = await freePort();
  const statsSocket = join(dir, "haproxy.sock");
  if (!haproxyBinary) throw new Error("HAProxy is not installed (apt-get install haproxy).");
  const child = spawnChild(haproxyBinary, ["-db", "-f", haproxyConfig], {
    PATH: process.env.PATH,
    HAPROXY_BIND: `127.0.0.1:${port}`,
    GATEWAY_PRIMARY: `127.0.0.1:${gateways.primary}`,
    GATEWAY_SECONDARY: `127.0.0.1:${gateways.secondary}`,
    HAPROXY_STATS_BIND: `127.0.0.1:${await freePort()}`,
    HAPROXY_STATS_SOCKET: statsSocket,
  });
  const stats = async (): Promise<Record<string, ServerStat>> => {
    const csv = await runtimeApi(statsSocket, "show stat");
    const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
    const columns = (header ?? "").split(",");
    const at = (row: string[], name: string) => row[columns.indexOf(name)] ?? "";
    const out: Record<string, ServerStat> = {};
    for (const row of rows.map((r) => r.split(","))) {
      if (at(row, "pxname") !== "gateways" || ["FRONTEND", "BACKEND"].includes(at(row, "svname"))) continue;
      out[at(row, "svname")] = { status: at(row, "status"), total: Number(at(row, "stot")), downs: Number(at(row, "chkdown")) };
    }
    return out;
  };
  const waitForStatus = (server: string, status: "UP" | "DOWN", timeoutMs = 30_000) =>
    waitUntil(
      `HAProxy did not see ${server} ${status}`,
      async () => (await stats())[server]?.status.startsWith(status) ?? false,
      timeoutMs,
      child.output,
    );
  const haproxy: Haproxy = {
    ...child,
    url: `http://127.0.0.1:${port}`,
    statsSocket,
    stats,
    waitForStatus,
    async stop() {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill("SIGTERM");
        await child.exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntil("HAProxy did not start", async () => (await stats()).primary !== undefined, 10_000, child.output);
  } catch (error) {
    await haproxy.stop();
    throw error;
  }
  return haproxy;
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const timer = setTimeout(() => child.process.kill("SIGKILL"), graceMs);
  child.process.kill("SIGTERM");
  await child.exited;
  clearTimeout(timer);
}

export interface Outcome {
  kind: "query" | "mutation";
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** HTTP status, or "network" when no answer arrived at all. */
  status: number | "network";
  detail?: string;
  title?: string;
}

export interface Load {
  outcomes: Outcome[];
  /** Requests started but not yet answered, right now. */
  inFlight(): number;
  stop(): Promise<void>;
}

/**
 * Steady, bounded load through `url` (loopback only): `concurrency` loops of a small federated
 * query, one loop of createOffer mutations with unique titles, each loop pausing `pauseMs` between
 * requests, and never more than `maxRequests` (default 5000) requests in all.
 */
export function startLoad(
  url: string,
  options: { concurrency: number; pauseMs: number; token: string; titlePrefix: string; maxRequests?: number },
): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  let inFlight = 0;
  let serial = 0;
  let sent = 0;
  const maxRequests = options.maxRequests ?? 5000;
  const more = () => running && sent < maxRequests;
  const send = async (kind: Outcome["kind"], body: object, headers: Record<string, string>, title?: string) => {
    const startedAt = Date.now();
    sent++;
    inFlight++;
    try {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      const ok = response.status === 200 && !/"errors"/.test(text);
      outcomes.push({
        kind,
        startedAt,
        endedAt: Date.now(),
        ok,
        status: response.status,
        ...(ok ? {} : { detail: text.slice(0, 200) }),
        ...(title ? { title } : {}),
      });
    } catch (error) {
      outcomes.push({
        kind,
        startedAt,
        endedAt: Date.now(),
        ok: false,
        status: "network",
        detail: String((error as Error).cause ?? error),
        ...(title ? { title } : {}),
      });
    } finally {
      inFlight--;
    }
  };
  const query = { query: "{ offers(first: 2) { edges { node { id title seller { displayName } } } } }" };
  const loops = Array.from({ length: options.concurrency }, async () => {
    while (more()) {
      await send("query", query, {});
      await delay(options.pauseMs);
    }
  });
  loops.push(
    (async () => {
      while (more()) {
        const title = `${options.titlePrefix} ${++serial}`;
        await send(
          "mutation",
          {
            query: `mutation($input: CreateOfferInput!) { createOffer(input: $input) { id } }`,
            variables: {
              input: {
                title,
                description: "failover test",
                price: { amount: "1.00", currency: "EUR" },
                category: "books",
                tags: [],
                location: { lat: 52.5, lng: 13.4 },
              },
            },
          },
          { authorization: `Bearer ${options.token}` },
          title,
        );
        await delay(options.pauseMs);
      }
    })(),
  );
  return {
    outcomes,
    inFlight: () => inFlight,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The longest time between two consecutive successful answers within [from, to]. */
export function longestGapMs(outcomes: Outcome[], from: number, to: number): number {
  const times = outcomes
    .filter((o) => o.ok)
    .map((o) => o.endedAt)
    .filter((t) => t >= from && t <= to)
    .sort((a, b) => a - b);
  let longest = 0;
  let previous = from;
  for (const t of [...times, to]) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

export interface Tier {
  ports: { primary: number; secondary: number };
  primary: GatewayProcess;
  secondary: GatewayProcess;
  haproxy: Haproxy;
}

/**
 * The production tier on free ports: a primary and a secondary gateway process over the stack's
 * subgraphs, and HAProxy in front of both, returned once HAProxy sees both UP. `started` receives
 * each process as soon as it exists, so a test's afterAll can stop it even if a later step fails.
 */
export async function startTier(stack: Stack, started: { push(...children: GatewayProcess[]): unknown }): Promise<Tier> {
  const ports = { primary: await freePort(), secondary: await freePort() };
  const [primary, secondary] = await Promise.all([
    startGatewayProcess(stack, "primary", ports.primary),
    startGatewayProcess(stack, "secondary", ports.secondary),
  ]);
  started.push(primary, secondary);
  const haproxy = await startHaproxy(ports);
  await haproxy.waitForStatus("primary", "UP");
  await haproxy.waitForStatus("secondary", "UP");
  return { ports, primary, secondary, haproxy };
}

/**
 * What the tier tests under load share: a stack, a SQL client, the gateways and HAProxy they start,
 * all stopped after the file. Without HAProxy installed the suite is skipped with a note saying
 * how to run it (CI installs it: .ci/run).
 */
export function tierFixture(label: string, testName: string) {
  if (!haproxyInstalled) console.warn(`${testName} test skipped: HAProxy is not installed (apt-get install haproxy)`);
  const fixture = {
    describe: haproxyInstalled ? describe : describe.skip,
    stack: undefined as unknown as Stack,
    sql: undefined as unknown as pg.Client,
    /** Every gateway process started, including restarted ones: all are stopped at the end. */
    gateways: [] as GatewayProcess[],
    haproxy: undefined as Haproxy | undefined,
    async startTier(): Promise<Tier> {
      const tier = await startTier(fixture.stack, fixture.gateways);
      fixture.haproxy = tier.haproxy;
      return tier;
    },
    /** How many offers each title under `prefix` made (a mutation that ran twice counts 2). */
    async offersByTitle(prefix: string): Promise<Map<string, number>> {
      const rows = await fixture.sql.query<{ title: string; n: number }>(
        "SELECT title, count(*)::int AS n FROM offers.offers WHERE title LIKE $1 GROUP BY title",
        [`${prefix} %`],
      );
      return new Map(rows.rows.map((r) => [r.title, r.n]));
    },
  };
  beforeAll(async () => {
    if (!haproxyInstalled) return;
    fixture.stack = await startStack({ label, seed: { users: 10, offers: 20, reviewsPerOffer: 1 } });
    fixture.sql = new pg.Client({ connectionString: fixture.stack.databaseUrl });
    await fixture.sql.connect();
  });
  afterAll(async () => {
    if (!haproxyInstalled) return;
    await fixture.haproxy?.stop();
    await Promise.all(fixture.gateways.map((g) => stopChild(g, 5000)));
    await fixture.sql.end();
    await fixture.stack.stop();
  });
  return fixture;
}

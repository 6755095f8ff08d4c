/**
 * The whole platform as real processes, each started by its own entry point (`src/index.ts`, so
 * tracing starts as in production): the four subgraphs, the gateway over them and a worker, on
 * free ports, against one test database and Redis prefix. Every line a process writes is kept
 * (its JSON log), for tests about what the processes emit (traces, logs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { createDatabase } from "@agora/platform/database";
import { createTestDatabase, testKeyPrefix, testRedisUrl } from "@agora/platform/testing";
import { seedDatabase, demoPassword } from "@agora/prisma/seed-data";
import { hashPassword } from "@agora/users/password";
import { freePort } from "./tier.js";
import { internalSecret, jwtSecret } from "./stack.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

export type ServiceName = "gateway" | "users" | "offers" | "reviews" | "jobs" | "workers";

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Every complete line written to stdout or stderr so far. */
  lines: string[];
  /** Lines that are JSON objects (log lines). */
  logs(): Record<string, unknown>[];
}

export interface Platform {
  databaseUrl: string;
  gatewayUrl: string;
  ports: Record<Exclude<ServiceName, "workers">, number>;
  services: Record<ServiceName, ServiceProcess>;
  login(email: string): Promise<{ accessToken: string; userId: string }>;
  stop(): Promise<void>;
}

function spawnService(name: ServiceName, entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, entry)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = () => {
    let rest = "";
    return (chunk: Buffer) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts.filter(Boolean));
    };
  };
  child.stdout?.on("data", collect());
  child.stderr?.on("data", collect());
  return {
    name,
    child,
    lines,
    logs: () =>
      lines.flatMap((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return typeof value === "object" && value !== null ? [value as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
  };
}

async function waitReady(service: ServiceProcess, url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited:\n${service.lines.slice(-30).join("\n")}`);
    if (
      await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    await delay(200);
  }
  throw new Error(`${service.name} did not become ready at ${url}:\n${service.lines.slice(-30).join("\n")}`);
}

/** `env` is added to every process's environment (e.g. OTEL_* and LOG_LEVEL). */
export async function startPlatform(label: string, env: Record<string, string>): Promise<Platform> {
  const databaseUrl = await createTestDatabase(label);
  const db = createDatabase({ url: databaseUrl, poolSize: 2 });
  await seedDatabase(db.primary, { users: 4, offers: 4, reviewsPerOffer: 1, passwordHash: await hashPassword(demoPassword), seed: 7 });
  await db.disconnect();
  const keyPrefix = testKeyPrefix(label);
  const storageDir = await mkdtemp(join(tmpdir(), "agora-platform-"));
  const ports = {
    users: await freePort(),
    offers: await freePort(),
    reviews: await freePort(),
    jobs: await freePort(),
    gateway: await freePort(),
  };
  const workerHealthPort = await freePort();
  const url = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}`;
  const common = {
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: "3",
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: keyPrefix,
    INTERNAL_SECRET: internalSecret,
    JWT_SECRET: jwtSecret,
    HOST: "127.0.0.1",
    ...env,
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  const stop = async () => {
    await Promise.all(
      Object.values(services).map(async (service) => {
        if (service.child.exitCode !== null || service.child.signalCode !== null) return;
        const exited = new Promise((resolve) => service.child.once("exit", resolve));
        service.child.kill("SIGTERM");
        await exited;
      }),
    );
    await rm(storageDir, { recursive: true, force: true });
  };
  try {
    services.offers = spawnService("offers", "subgraphs/offers/src/index.ts", { ...common, PORT: String(ports.offers) });
    services.users = spawnService("users", "subgraphs/users/src/index.ts", { ...common, PORT: String(ports.users) });
    services.reviews = spawnService("reviews", "subgraphs/reviews/src/index.ts", {
      ...common,
      PORT: String(ports.reviews),
      OFFERS_SUBGRAPH_URL: url("offers"),
    });
    services.jobs = spawnService("jobs", "subgraphs/jobs/src/index.ts", {
      ...common,
      PORT: String(ports.jobs),
      STORAGE_DIR: storageDir,
      OUTBOX_POLL_MS: "500",
    });
    services.workers = spawnService("workers", "workers/src/index.ts", {
      ...common,
      STORAGE_DIR: storageDir,
      WORKER_HEALTH_PORT: String(workerHealthPort),
      ANALYTICS_ROLLUP_EVERY_MS: "0",
      MAINTENANCE_EVERY_MS: "0",
    });
    await Promise.all(
      (["offers", "users", "reviews", "jobs"] as const).map((name) => waitReady(services[name], `${url(name)}/health/ready`)),
    );
    services.gateway = spawnService("gateway", "gateway/src/index.ts", {
      ...common,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(ports.gateway),
      USERS_URL: `${url("users")}/graphql`,
      OFFERS_URL: `${url("offers")}/graphql`,
      REVIEWS_URL: `${url("reviews")}/graphql`,
      JOBS_URL: `${url("jobs")}/graphql`,
      RATE_LIMIT_ENABLED: "false",
    });
    await waitReady(services.gateway, `${url("gateway")}/health/ready`);
    await waitReady(services.workers, `http://127.0.0.1:${workerHealthPort}/health`);
  } catch (error) {
    await stop();
    throw error;
  }
  const gatewayUrl = `${url("gateway")}/graphql`;
  return {
    databaseUrl,
    gatewayUrl,
    ports,
    services,
    async login(email) {
      const response = await fetch(gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }`,
          variables: { e: email, p: demoPassword },
        }),
      });
      const body = (await response.json()) as { data?: { login?: { accessToken: string; user: { id: string } } } };
      if (!body.data?.login) throw new Error(`login failed: ${JSON.stringify(body)}`);
      return { accessToken: body.data.login.accessToken, userId: body.data.login.user.id };
    },
    stop,
  };
}

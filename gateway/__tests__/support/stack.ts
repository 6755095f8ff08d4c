/**
 * The whole platform for end-to-end tests: the real gateway and the four real subgraphs, each
 * listening on a free port, against a database of the test file's own.
 */
import { bullPrefix } from "@agora/platform/queues";
import { createDatabase } from "@agora/platform/database";
import { createCacheInvalidator, createLogger, signIdentity, type Identity, type RunningServer } from "@agora/platform";
import { type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import { createAuditRecorder, type AuditRecorder } from "@agora/platform/audit-events";
import { directAuditWriter } from "@agora/platform/audit";
import { mkdtemp, rm } from "node:fs/promises";
import { Redis } from "ioredis";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, testKeyPrefix, testRedisUrl, graphqlRequest } from "@agora/platform/testing";
import { seedDatabase, demoPassword } from "@agora/prisma/seed-data";
import { hashPassword } from "@agora/users/password";
import { createUsersSubgraph } from "@agora/users";
import { createOffersSubgraph } from "@agora/offers";
import { createReviewsSubgraph, createHttpOfferDirectory } from "@agora/reviews";
import { createJobsSubgraph } from "@agora/jobs";
import { loadGatewayConfig, type GatewayConfig } from "../../src/config.js";
import { createGateway, type Gateway } from "../../src/server.js";

export const internalSecret = "e2e-internal-secret-0123456789abcdef";
export const jwtSecret = "e2e-jwt-secret-0123456789abcdef-0123";
export const accessTokens = { secret: jwtSecret, issuer: "agora-users", audience: "agora-api", ttlSeconds: 900 };

export interface Stack {
  databaseUrl: string;
  gatewayUrl: string;
  subgraphUrls: Record<"users" | "offers" | "reviews" | "jobs", string>;
  runtimes: Record<"users" | "offers" | "reviews" | "jobs", SubgraphRuntime>;
  subgraphs: Record<"users" | "offers" | "reviews" | "jobs", SubgraphServer>;
  gateway: Gateway;
  /** The configuration the gateway was started with, for tests that start another one beside it. */
  gatewayConfig: GatewayConfig;
  /** Another gateway on the same subgraphs and Redis prefix (stopped with the stack); `env` adds to the stack's gateway settings. */
  startGateway(env?: Record<string, string>): Promise<{ gateway: Gateway; url: string }>;
  storageDir: string;
  /** Redis key prefix of this stack (REDIS_KEY_PREFIX for worker processes). */
  keyPrefix: string;
  /** Resolves when the subgraphs' audit events so far are in audit.events (written directly here, no drain). */
  flushAudit(): Promise<void>;
  /** SQL statements issued so far by all four subgraphs. */
  statementCount(): number;
  query<T = any>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof graphqlRequest<T>>;
  login(email: string, password?: string): Promise<{ accessToken: string; refreshToken: string; userId: string }>;
  stop(): Promise<void>;
}

export interface StackOptions {
  seed?: { users: number; offers: number; reviewsPerOffer: number };
  label?: string;
  /**
   * Route reads to a second database seeded identically (a stand-in replica that never catches up,
   * so which database served a read is observable), with read-your-writes marks in Redis.
   */
  replica?: boolean;
  /**
   * Extra gateway configuration as environment variables, e.g. `RATE_LIMIT_*` (rate limiting is off
   * unless this turns it on) or `BREAKER_FAILURE_THRESHOLD`.
   */
  gatewayEnv?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const databaseUrl = await createTestDatabase(options.label ?? "e2e");
  const replicaUrl = options.replica ? await createTestDatabase(`${options.label ?? "e2e"}replica`) : undefined;
  const log = createLogger("e2e", "silent");
  const keyPrefix = testKeyPrefix("e2e");
  const redis = options.replica ? new Redis(testRedisUrl()) : undefined;
  // Writes tell the gateways' response caches, as in production (runtimeFromConfig).
  const invalidationRedis = new Redis(testRedisUrl());
  const cacheInvalidation = createCacheInvalidator({ redis: invalidationRedis, keyPrefix, log });
  const auditRecorders: AuditRecorder[] = [];
  // A pool of its own: audit writes land after the answer and must not show in statementCount().
  const auditDb = createDatabase({ url: databaseUrl, poolSize: 2 });
  const runtime = (service: string): SubgraphRuntime => {
    const db = createDatabase({ url: databaseUrl, replicaUrl, poolSize: 5 });
    const audit = createAuditRecorder({ redis: null, keyPrefix, service, log, fallback: directAuditWriter(auditDb.primary) });
    auditRecorders.push(audit);
    return {
      db,
      audit,
      log,
      internalSecret,
      bodyLimitBytes: 1_048_576,
      exposeErrorDetails: false,
      redis,
      redisKeyPrefix: keyPrefix,
      readYourWritesWindowMs: 5000,
      cacheInvalidation,
    };
  };
  const runtimes = { users: runtime("users"), offers: runtime("offers"), reviews: runtime("reviews"), jobs: runtime("jobs") };
  if (options.seed) {
    const passwordHash = await hashPassword(demoPassword);
    await seedDatabase(runtimes.users.db.primary, { ...options.seed, passwordHash, seed: 7 });
    if (options.replica) await seedDatabase(runtimes.users.db.replica, { ...options.seed, passwordHash, seed: 7 });
  }

  const running: RunningServer[] = [];
  const users = await createUsersSubgraph(runtimes.users, { accessToken: accessTokens, refreshTokenTtlDays: 30 });
  const offers = await createOffersSubgraph(runtimes.offers, {});
  const offersRunning = await offers.listen(0, "127.0.0.1");
  const liveRedis = new Redis(testRedisUrl());
  const reviews = await createReviewsSubgraph(runtimes.reviews, {
    offers: createHttpOfferDirectory({ url: `${offersRunning.url}/graphql` }),
    live: { redis: liveRedis, keyPrefix, log },
  });
  const storageDir = await mkdtemp(join(tmpdir(), "agora-e2e-"));
  const jobs = await createJobsSubgraph(runtimes.jobs, {
    storageDir,
    publicBaseUrl: "http://127.0.0.1:4000",
    uploadMaxBytes: 10 * 1024 * 1024,
    imageMaxPixels: 40_000_000,
    maxAttempts: 3,
    backoffMs: 1000,
    outboxPollMs: 1000,
    outboxRedisTimeoutMs: 2000,
    redisUrl: testRedisUrl(),
    bullPrefix: bullPrefix(keyPrefix),
  });
  running.push(offersRunning, await users.listen(0, "127.0.0.1"), await reviews.listen(0, "127.0.0.1"), await jobs.listen(0, "127.0.0.1"));
  const [, usersRunning, reviewsRunning, jobsRunning] = running as [RunningServer, RunningServer, RunningServer, RunningServer];
  const subgraphUrls = {
    users: `${usersRunning.url}/graphql`,
    offers: `${offersRunning.url}/graphql`,
    reviews: `${reviewsRunning.url}/graphql`,
    jobs: `${jobsRunning.url}/graphql`,
  };
  const gatewayConfig = (env: Record<string, string> = {}) =>
    loadGatewayConfig({
      NODE_ENV: "test",
      INTERNAL_SECRET: internalSecret,
      JWT_SECRET: jwtSecret,
      USERS_URL: subgraphUrls.users,
      OFFERS_URL: subgraphUrls.offers,
      REVIEWS_URL: subgraphUrls.reviews,
      JOBS_URL: subgraphUrls.jobs,
      BODY_LIMIT_BYTES: "65536",
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: keyPrefix,
      RATE_LIMIT_ENABLED: "false",
      // Off unless a test turns it on: most tests check what the subgraphs answer, not a cached copy.
      RESPONSE_CACHE_ENABLED: "false",
      // One plan in memory: nearly every execution in the e2e suite runs a plan read back from Redis.
      PLAN_CACHE_MEMORY_ENTRIES: "1",
      ...options.gatewayEnv,
      ...env,
    });
  const config = gatewayConfig();
  const gateway = await createGateway(config, log);
  const gatewayRunning = await gateway.listen(0, "127.0.0.1");
  const gatewayUrl = `${gatewayRunning.url}/graphql`;
  const extraGateways: Gateway[] = [];

  const query: Stack["query"] = (q, variables, token) =>
    graphqlRequest(gatewayUrl, q, variables, token ? { authorization: `Bearer ${token}` } : {});
  return {
    databaseUrl,
    gatewayUrl,
    subgraphUrls,
    runtimes,
    subgraphs: { users, offers, reviews, jobs },
    gateway,
    gatewayConfig: config,
    async startGateway(env) {
      const another = await createGateway(gatewayConfig(env), log);
      extraGateways.push(another);
      const running = await another.listen(0, "127.0.0.1");
      return { gateway: another, url: `${running.url}/graphql` };
    },
    storageDir,
    keyPrefix,
    flushAudit: async () => void (await Promise.all(auditRecorders.map((recorder) => recorder.flush()))),
    statementCount: () => Object.values(runtimes).reduce((sum, r) => sum + r.db.statementCount(), 0),
    query,
    async login(email, password = demoPassword) {
      const response = await query(
        `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id } } }`,
        { e: email, p: password },
      );
      const payload = response.data?.login;
      if (!payload) throw new Error(`login failed: ${JSON.stringify(response.errors)}`);
      return { accessToken: payload.accessToken, refreshToken: payload.refreshToken, userId: payload.user.id };
    },
    async stop() {
      await Promise.all([gateway, ...extraGateways].map((g) => g.stop()));
      await Promise.all(Object.values({ users, offers, reviews, jobs }).map((s) => s.stop()));
      await Promise.all(auditRecorders.map((recorder) => recorder.close()));
      await auditDb.disconnect();
      await Promise.all(Object.values(runtimes).map((r) => r.db.disconnect()));
      await rm(storageDir, { recursive: true, force: true });
      redis?.disconnect();
      liveRedis.disconnect();
      invalidationRedis.disconnect();
    },
  };
}

/** The header a subgraph accepts as identity, for tests that call subgraphs directly. */
export const identityHeaderFor = async (identity: Identity) => ({ "x-agora-identity": await signIdentity(identity, internalSecret) });

/**
 * A worker's GET /health under NODE_ENV=production with PostgreSQL and Redis both unreachable:
 * it says which dependency failed and how, never the drivers' text (hosts, ports, credentials).
 */
import { createLogger, createMetrics, createRedis, noCacheInvalidation } from "@agora/platform";
import { createDatabase } from "@agora/platform/database";
import { JobStore } from "@agora/platform/job-store";
import { noAuditRecorder } from "@agora/platform/audit-events";
import { createSearchBackend } from "@agora/offers/search";
import { loadWorkersConfig } from "../src/config.js";
import { healthReport } from "../src/health-server.js";

it("reports unreachable dependencies by state only", async () => {
  const config = loadWorkersConfig({
    NODE_ENV: "production",
    INTERNAL_SECRET: "Qm3v9Zr7Lx2Tb8Nw4Hc6Jp1Ks5Dg0Fy-internal",
    JWT_SECRET: "Wq8e2Rt6Yu4Io0Pa3Sd7Fg1Hj5Kl9Zx-access",
    // Nothing listens on port 1.
    DATABASE_URL: "postgresql://agora:hunter2@127.0.0.1:1/agora_private",
    REDIS_URL: "redis://:hunter2@127.0.0.1:1",
  });
  const db = createDatabase({ url: config.DATABASE_URL, poolSize: 1 });
  const redis = createRedis(config.REDIS_URL);
  redis.on("error", () => {}); // the reconnect attempts are expected here
  try {
    const { ok, body } = await healthReport({
      deps: {
        config,
        db,
        prisma: db.primary,
        redis,
        jobs: new JobStore({ db: db.primary }),
        search: createSearchBackend(config, createLogger("health-test", "silent")),
        log: createLogger("health-test", "silent"),
        live: { redis, keyPrefix: "agora-test:health:", log: createLogger("health-test", "silent") },
        audit: noAuditRecorder,
        cache: noCacheInvalidation,
      },
      queues: new Map(),
      metrics: createMetrics("health-test"),
      searchIndex: null,
      consumed: {},
      schedules: {},
      drained: () => null,
    });
    expect(ok).toBe(false);
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/hunter2|agora_private|ECONNREFUSED|reach database|127\.0\.0\.1:1\b|Invalid/);
    expect(body).toMatchObject({
      status: "unavailable",
      redis: { reachable: false, state: expect.stringMatching(/^(unreachable|timeout)$/) },
      postgres: { reachable: false, state: "unreachable" },
    });
  } finally {
    redis.disconnect();
    await db.disconnect();
  }
});

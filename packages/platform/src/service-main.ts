/**
 * The `index.ts` of every subgraph: read config, check Postgres (and Redis when needed), listen,
 * and drain on SIGTERM/SIGINT (graceful-shutdown.ts).
 */
import type { Database } from "./database.js";
import { createAuditRecorder } from "./audit-events.js";
import { directAuditWriter } from "./audit/index.js";
import { onTerminationSignal } from "./graceful-shutdown.js";
import { createDatabase } from "./database.js";
import { createLogger, type Logger } from "./logger.js";
import { createRedis, describeRedisUrl, type Redis } from "./redis.js";
import type { SubgraphRuntime, SubgraphServer } from "./subgraph-server.js";
import { createCacheInvalidator } from "./cache-invalidation.js";
import type { commonEnv } from "./config.js";
import type { z } from "zod";

type CommonConfig = z.infer<z.ZodObject<typeof commonEnv>>;

export async function checkPostgres(db: Database, url: string): Promise<void> {
  try {
    await db.primary.$queryRawUnsafe("SELECT 1");
  } catch (error) {
    const where = new URL(url);
    throw new Error(
      `PostgreSQL is not reachable at ${where.host}${where.pathname} (${(error as Error).message}). ` +
        "Start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), run `pnpm db:migrate`, or set DATABASE_URL.",
    );
  }
}

export async function checkRedis(redis: Redis, url: string): Promise<void> {
  try {
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${describeRedisUrl(url)} (${(error as Error).message}). ` +
        'Start it (redis-server --daemonize yes --port 6379 --save "" --appendonly no) or set REDIS_URL.',
    );
  }
}

export function runtimeFromConfig(name: string, config: CommonConfig, log: Logger = createLogger(name, config.LOG_LEVEL)): SubgraphRuntime {
  const db = createDatabase({
    url: config.DATABASE_URL,
    replicaUrl: config.DATABASE_REPLICA_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: `agora-${name}`,
  });
  // One connection for what writes announce: audit events (to the stream the workers drain; straight
  // to Postgres while Redis is down) and response-cache invalidations. Its own, not runtime.redis:
  // that one exists only with a read replica. Errors are reported by the recorder and the
  // invalidator, per event; ioredis would log every reconnect.
  const eventsRedis = createRedis(config.REDIS_URL);
  eventsRedis.on("error", () => undefined);
  return {
    db,
    log,
    cacheInvalidation: createCacheInvalidator({ redis: eventsRedis, keyPrefix: config.REDIS_KEY_PREFIX, log }),
    internalSecret: config.INTERNAL_SECRET,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    exposeErrorDetails: config.NODE_ENV === "development",
    redis: config.DATABASE_REPLICA_URL ? createRedis(config.REDIS_URL) : undefined,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    readYourWritesWindowMs: config.READ_YOUR_WRITES_WINDOW_MS,
    shutdown: { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS },
    audit: createAuditRecorder({
      redis: eventsRedis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      service: name,
      log,
      fallback: directAuditWriter(db.primary),
      // Closed after the server drained: every invalidation was sent before its write answered.
      onClose: () => eventsRedis.disconnect(),
    }),
  };
}

/** Listens, logs where, and drains (graceful-shutdown.ts) then exits 0 on SIGTERM or SIGINT. */
export async function serveUntilSignalled(
  name: string,
  server: SubgraphServer,
  runtime: SubgraphRuntime,
  port: number,
  host = "0.0.0.0",
  onStop: () => Promise<void> = async () => {},
): Promise<void> {
  onTerminationSignal(runtime.log, async () => {
    await server.stop();
    await onStop();
    // Events of the last requests reach Redis (or Postgres) before the connections go.
    await runtime.audit?.close();
    await runtime.db.disconnect();
    runtime.redis?.disconnect();
  });
  const running = await server.listen(port, host);
  runtime.log.info({ url: `${running.url}/graphql` }, `${name} subgraph listening`);
}

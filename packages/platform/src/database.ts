/**
 * Prisma clients for the primary (writes) and an optional read replica (reads), through
 * @prisma/adapter-pg: no native query engine. Every SQL statement is counted so tests and
 * /metrics can see N+1 patterns.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.js";

export { Prisma, PrismaClient } from "./generated/prisma/client.js";
export * as Db from "./generated/prisma/client.js";

export interface DatabaseOptions {
  url: string;
  replicaUrl?: string | undefined;
  poolSize?: number;
  /** Postgres `application_name`, visible in pg_stat_activity. */
  applicationName?: string;
}

export interface Database {
  primary: PrismaClient;
  /** The replica when configured, else the primary. */
  replica: PrismaClient;
  hasReplica: boolean;
  /** SQL statements issued so far by this process through these clients. */
  statementCount(): number;
  /** The pg pools under the clients (`replica` only when configured), for /metrics. */
  pools: { primary: PoolStats; replica?: PoolStats };
  disconnect(): Promise<void>;
}

/** What node-postgres reports about one pool. */
export interface PoolStats {
  /** Connections open, idle or in use. */
  readonly totalCount: number;
  readonly idleCount: number;
  /** Queries waiting for a connection: the pool is exhausted while this is above 0. */
  readonly waitingCount: number;
  /** The pool's size limit. */
  readonly max: number;
}

export function createDatabase(options: DatabaseOptions): Database {
  let statements = 0;
  const max = options.poolSize ?? 10;
  const open = (url: string) => {
    // Our own pool, handed to the adapter, so its counts can be read (the adapter keeps its own
    // private); the adapter still ends it on $disconnect.
    const pool = new pg.Pool({
      connectionString: url,
      max,
      application_name: options.applicationName ?? "agora",
      connectionTimeoutMillis: 5000,
    });
    const adapter = new PrismaPg(pool, { disposeExternalPool: true });
    const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
    client.$on("query", () => {
      statements += 1;
    });
    return { client, pool };
  };
  const stats = (pool: pg.Pool): PoolStats => ({
    get totalCount() {
      return pool.totalCount;
    },
    get idleCount() {
      return pool.idleCount;
    },
    get waitingCount() {
      return pool.waitingCount;
    },
    max,
  });
  const primaryPool = open(options.url);
  const replicaPool = options.replicaUrl ? open(options.replicaUrl) : undefined;
  const primary = primaryPool.client;
  const replica = replicaPool?.client ?? primary;
  return {
    primary,
    replica,
    hasReplica: replica !== primary,
    statementCount: () => statements,
    pools: { primary: stats(primaryPool.pool), ...(replicaPool ? { replica: stats(replicaPool.pool) } : {}) },
    async disconnect() {
      await primary.$disconnect();
      if (replica !== primary) await replica.$disconnect();
    },
  };
}

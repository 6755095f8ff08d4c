/**
 * Prisma clients for the primary (writes) and an optional read replica (reads), through
 * @prisma/adapter-pg: no native query engine. Every SQL statement is counted (at the pg client,
 * so Prisma's and plain prepared statements alike) so tests and /metrics can see N+1 patterns.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient, type Prisma } from "./generated/prisma/client.js";

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

/** A hot read's SQL, prepared once per connection under its `name` (unique per text). */
export interface Statement {
  name: string;
  text: string;
}

/** The pg pool under each client createDatabase made (a transaction client has none). */
const poolsOf = new WeakMap<object, pg.Pool>();

/**
 * Runs a read as a named prepared statement straight on the pg pool under `db`, skipping Prisma's
 * query pipeline: about 30–55 µs of CPU per statement instead of 120–150 µs through `findMany` or
 * `$queryRaw` (bench/results/profiles/README.md). For hot read paths; the statement stays in the
 * repository of its table. A client without a pool of its own (a transaction, a client made
 * elsewhere) runs the same text through `$queryRawUnsafe`. Cast columns in the SQL to types both
 * paths return alike (`::int`, `::text`; timestamptz is a Date in both; no numeric, no bigint).
 */
export async function queryRows<Row>(db: PrismaClient | Prisma.TransactionClient, statement: Statement, values: unknown[]): Promise<Row[]> {
  const pool = poolsOf.get(db);
  if (!pool) return db.$queryRawUnsafe<Row[]>(statement.text, ...values);
  return (await pool.query<Row & pg.QueryResultRow>({ name: statement.name, text: statement.text, values })).rows;
}

export function createDatabase(options: DatabaseOptions): Database {
  let statements = 0;
  const max = options.poolSize ?? 10;
  // Counting here instead of through Prisma's `query` log event: the event costs 40–60 µs of CPU
  // per statement (Prisma formats the query and its parameters for it) and misses plain pg reads.
  class CountingClient extends pg.Client {
    override query(...args: unknown[]): never {
      statements += 1;
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  }
  const open = (url: string) => {
    // Our own pool, handed to the adapter, so its counts can be read (the adapter keeps its own
    // private); the adapter still ends it on $disconnect.
    const pool = new pg.Pool({
      connectionString: url,
      max,
      application_name: options.applicationName ?? "agora",
      connectionTimeoutMillis: 5000,
      Client: CountingClient,
    });
    // An idle connection Postgres ends (restart, failover, pg_terminate_backend) is an `error` on
    // the pool; unheard, it would crash the process. The pool has already dropped that connection
    // and the next query opens a new one; queries in flight get their own errors.
    pool.on("error", () => {});
    const adapter = new PrismaPg(pool, { disposeExternalPool: true });
    const client = new PrismaClient({ adapter });
    poolsOf.set(client, pool);
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

/**
 * Prisma clients for the primary (writes) and an optional read replica (reads), through
 * @prisma/adapter-pg: no native query engine. Every SQL statement is counted so tests and
 * /metrics can see N+1 patterns.
 */
import { PrismaPg } from "@prisma/adapter-pg";
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
  disconnect(): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  let statements = 0;
  const open = (url: string) => {
    const adapter = new PrismaPg({
      connectionString: url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? "agora",
      connectionTimeoutMillis: 5000,
    });
    const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
    client.$on("query", () => {
      statements += 1;
    });
    return client;
  };
  const primary = open(options.url);
  const replica = options.replicaUrl ? open(options.replicaUrl) : primary;
  return {
    primary,
    replica,
    hasReplica: replica !== primary,
    statementCount: () => statements,
    async disconnect() {
      await primary.$disconnect();
      if (replica !== primary) await replica.$disconnect();
    },
  };
}

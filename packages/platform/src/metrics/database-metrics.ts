/**
 * Postgres pool use of one process: connections in use and idle, queries waiting for a connection,
 * and the pool's size, per pool (`primary`, `replica`). A pool whose waiting count stays above 0
 * is exhausted: requests queue inside the process before any SQL runs.
 */
import { Gauge, type Registry } from "prom-client";
import type { Database } from "../database.js";

export function registerDatabaseMetrics(registry: Registry, db: Pick<Database, "pools">): void {
  const pools = () => Object.entries(db.pools).flatMap(([pool, stats]) => (stats ? [{ pool, stats }] : []));
  new Gauge({
    name: "agora_db_pool_connections",
    help: "Postgres connections of this process's pool, by pool and state (in_use, idle)",
    labelNames: ["pool", "state"],
    registers: [registry],
    collect() {
      for (const { pool, stats } of pools()) {
        this.set({ pool, state: "idle" }, stats.idleCount);
        this.set({ pool, state: "in_use" }, stats.totalCount - stats.idleCount);
      }
    },
  });
  new Gauge({
    name: "agora_db_pool_waiting_requests",
    help: "Queries waiting for a free Postgres connection, by pool",
    labelNames: ["pool"],
    registers: [registry],
    collect() {
      for (const { pool, stats } of pools()) this.set({ pool }, stats.waitingCount);
    },
  });
  new Gauge({
    name: "agora_db_pool_max_connections",
    help: "Size limit of the Postgres pool (DATABASE_POOL_SIZE), by pool",
    labelNames: ["pool"],
    registers: [registry],
    collect() {
      for (const { pool, stats } of pools()) this.set({ pool }, stats.max);
    },
  });
}

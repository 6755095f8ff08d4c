/** What processors get from the process that runs them. */
import type { Database, Logger, PrismaClient, Redis } from "@agora/platform";
import type { SearchBackend } from "@agora/offers/search";
import type { WorkersConfig } from "./config.js";
import type { JobRows } from "./job-rows.js";

export interface WorkerDeps {
  config: WorkersConfig;
  db: Database;
  /** db.primary: workers write, and read what they just wrote. */
  prisma: PrismaClient;
  /** Command connection (not BullMQ's): analytics, schedule bookkeeping. */
  redis: Redis;
  rows: JobRows;
  /** The offers search backend (SEARCH_REINDEX rebuilds it, the search indexer writes to it). */
  search: SearchBackend;
  log: Logger;
}

/** What processors get from the process that runs them. */
import type { Database, PrismaClient } from "@agora/platform/database";
import type { CacheInvalidator, Logger, Redis } from "@agora/platform";
import type { SearchBackend } from "@agora/offers/search";
import type { LivePublisher } from "@agora/platform/live-events";
import type { WorkersConfig } from "./config.js";
import type { JobStore } from "@agora/platform/job-store";
import type { AuditRecorder } from "@agora/platform/audit-events";

export interface WorkerDeps {
  config: WorkersConfig;
  db: Database;
  /** db.primary: workers write, and read what they just wrote. */
  prisma: PrismaClient;
  /** Command connection (not BullMQ's): analytics, schedule bookkeeping. */
  redis: Redis;
  /** The owner of jobs.jobs: every status change of a job row goes through it. */
  jobs: JobStore;
  /** The offers search backend (SEARCH_REINDEX rebuilds it, the search indexer writes to it). */
  search: SearchBackend;
  /** Live events (jobUpdated, notifications), published after each committed transition. */
  live: LivePublisher;
  /** Security audit events of the platform itself (the moderation worker's verdicts). */
  audit: AuditRecorder;
  /** Tells the gateways' response caches what a job changed (an offer's images, a review's verdict). */
  cache: CacheInvalidator;
  log: Logger;
}

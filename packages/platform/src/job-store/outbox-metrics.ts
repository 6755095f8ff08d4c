/**
 * The outbox backlog (job rows committed but not yet added to BullMQ) and the dead-letter list,
 * read at scrape time through the table's owner (job-store.ts). Read-only, one statement whose filters are indexed
 * (`jobs_enqueued_at_created_at_idx`, `jobs_dead_lettered_at_idx`), so a scrape stays cheap however
 * large jobs.jobs grows. A backlog whose oldest row keeps ageing means the relay is stuck (Redis
 * down, relay crashed): the "outbox stuck" alert reads `agora_outbox_oldest_age_seconds`.
 */
import { Gauge, type Registry } from "prom-client";
import type { PrismaClient } from "../database.js";
import { withTimeout } from "../with-timeout.js";
import { readOutboxStats, type OutboxStats } from "./job-store.js";

export interface OutboxMetricsOptions {
  /**
   * Longest wait for the query; on timeout or error the gauges keep their last values.
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

export function registerOutboxMetrics(registry: Registry, db: PrismaClient, options: OutboxMetricsOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  let pending: Promise<OutboxStats | undefined> | null = null;
  // prom-client collects the three gauges of one scrape concurrently: query once and share it.
  const read = () =>
    (pending ??= withTimeout(readOutboxStats(db), timeoutMs, "PostgreSQL")
      .catch(() => undefined)
      .finally(() => {
        pending = null;
      }));
  new Gauge({
    name: "agora_outbox_backlog_jobs",
    help: "Job rows committed but not yet added to BullMQ (enqueued_at null)",
    registers: [registry],
    async collect() {
      const row = await read();
      if (row) this.set(row.backlog);
    },
  });
  new Gauge({
    name: "agora_outbox_oldest_age_seconds",
    help: "Age of the oldest job row waiting in the outbox; 0 when the outbox is empty",
    registers: [registry],
    async collect() {
      const row = await read();
      if (row) this.set(row.oldestAgeSeconds);
    },
  });
  new Gauge({
    name: "agora_dead_letter_jobs",
    help: "Jobs in the dead-letter list (failed after their last attempt, not retried since)",
    registers: [registry],
    async collect() {
      const row = await read();
      if (row) this.set(row.deadLetters);
    },
  });
}

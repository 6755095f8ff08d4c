/**
 * The outbox backlog (job rows committed but not yet added to BullMQ) and the dead-letter list,
 * read at scrape time. Read-only, one statement whose filters are indexed
 * (`jobs_enqueued_at_created_at_idx`, `jobs_dead_lettered_at_idx`), so a scrape stays cheap however
 * large jobs.jobs grows. A backlog whose oldest row keeps ageing means the relay is stuck (Redis
 * down, relay crashed): the "outbox stuck" alert reads `agora_outbox_oldest_age_seconds`.
 */
import { Gauge, type Registry } from "prom-client";
import type { PrismaClient } from "../database.js";
import { withTimeout } from "../with-timeout.js";

interface OutboxRow {
  backlog: bigint;
  oldest_age_seconds: number | null;
  dead_letters: bigint;
}

export interface OutboxMetricsOptions {
  /**
   * Longest wait for the query; on timeout or error the gauges keep their last values.
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

export function registerOutboxMetrics(registry: Registry, db: PrismaClient, options: OutboxMetricsOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  let pending: Promise<OutboxRow | undefined> | null = null;
  // prom-client collects the three gauges of one scrape concurrently: query once and share it.
  const read = () =>
    (pending ??= withTimeout(
      db.$queryRaw<OutboxRow[]>`
        SELECT
          (SELECT count(*) FROM jobs.jobs WHERE enqueued_at IS NULL AND status = 'PENDING') AS backlog,
          (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM jobs.jobs
             WHERE enqueued_at IS NULL AND status = 'PENDING') AS oldest_age_seconds,
          (SELECT count(*) FROM jobs.jobs WHERE dead_lettered_at IS NOT NULL) AS dead_letters`,
      timeoutMs,
      "PostgreSQL",
    )
      .then((rows) => rows[0])
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
      if (row) this.set(Number(row.backlog));
    },
  });
  new Gauge({
    name: "agora_outbox_oldest_age_seconds",
    help: "Age of the oldest job row waiting in the outbox; 0 when the outbox is empty",
    registers: [registry],
    async collect() {
      const row = await read();
      if (row) this.set(row.oldest_age_seconds ?? 0);
    },
  });
  new Gauge({
    name: "agora_dead_letter_jobs",
    help: "Jobs in the dead-letter list (failed after their last attempt, not retried since)",
    registers: [registry],
    async collect() {
      const row = await read();
      if (row) this.set(Number(row.dead_letters));
    },
  });
}

/**
 * `@agora/platform/audit`: the audit log's table module (Prisma) for the processes that have a
 * database: the workers' drain and retention, the users subgraph's `auditEvents`, and the direct
 * write services fall back to when Redis is down. The gateway records through
 * `@agora/platform/audit-events` only.
 */
import type { PrismaClient } from "../database.js";
import type { AuditRecord } from "../audit-events.js";
import { insertAuditEvents } from "./audit-store.js";

export * from "./audit-store.js";

/** The fallback of a service's recorder: straight into audit.events when Redis did not take the event. */
export const directAuditWriter =
  (db: PrismaClient) =>
  async (records: AuditRecord[]): Promise<void> => {
    await insertAuditEvents(db, records);
  };

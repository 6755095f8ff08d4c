/**
 * The owner of audit.events: every statement on the table is here. Writes only insert (the drain's
 * batches and the direct fallback, both idempotent on the event id); reads are keyset pages newest
 * first; rows leave only through audit.prune() (retention), which the table's trigger enforces.
 */
import type { Prisma, PrismaClient } from "../database.js";
import type { AuditAction, AuditOutcome, AuditRecord } from "../audit-events.js";
import type { Page } from "../pagination.js";

export interface AuditEventFilter {
  action?: AuditAction | null;
  actorId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  outcome?: AuditOutcome | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
}

/** A stored event; `createdAt` repeats `occurredAt` so the platform's keyset cursors apply. */
export type StoredAuditEvent = AuditRecord & { recordedAt: Date; createdAt: Date };

/** Inserts events; an id that is already stored is skipped (a re-delivered stream entry). Returns rows inserted. */
export async function insertAuditEvents(db: PrismaClient, records: readonly AuditRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const { count } = await db.auditEvent.createMany({
    data: records.map((r) => ({ ...r, details: r.details as Prisma.InputJsonObject })),
    skipDuplicates: true,
  });
  return count;
}

function whereOf(filter: AuditEventFilter): Prisma.AuditEventWhereInput {
  return {
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.actorId ? { actorId: filter.actorId } : {}),
    ...(filter.targetType ? { targetType: filter.targetType } : {}),
    ...(filter.targetId ? { targetId: filter.targetId } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.from || filter.to
      ? { occurredAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
      : {}),
  };
}

/** One page, newest first; `first + 1` rows so the caller knows whether a next page exists. */
export async function findAuditEventPage(db: PrismaClient, filter: AuditEventFilter, page: Page): Promise<StoredAuditEvent[]> {
  const after = page.after;
  const rows = await db.auditEvent.findMany({
    where: {
      AND: [
        whereOf(filter),
        after ? { OR: [{ occurredAt: { lt: after.createdAt } }, { occurredAt: after.createdAt, id: { lt: after.id } }] } : {},
      ],
    },
    orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
    take: page.first + 1,
  });
  return rows.map((row) => ({
    ...row,
    action: row.action as AuditAction,
    outcome: row.outcome as AuditOutcome,
    details: (row.details ?? {}) as Record<string, unknown>,
    createdAt: row.occurredAt,
  }));
}

export function countAuditEvents(db: PrismaClient, filter: AuditEventFilter): Promise<number> {
  return db.auditEvent.count({ where: whereOf(filter) });
}

/** Deletes events older than `retentionDays` (at least 30, audit.prune refuses less); returns how many. */
export async function pruneAuditEvents(db: PrismaClient, retentionDays: number): Promise<number> {
  const [row] = await db.$queryRaw<{ removed: bigint }[]>`SELECT "audit"."prune"(${retentionDays}::integer) AS removed`;
  return Number(row?.removed ?? 0);
}

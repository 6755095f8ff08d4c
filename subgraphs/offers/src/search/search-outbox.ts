/**
 * Every statement on offers.search_changes, the search outbox. An offer write inserts a change in
 * its own transaction (committed with the write or not at all) and notifies the indexer at commit;
 * the indexer applies the oldest changes in bulk and deletes them in one transaction. Changes are
 * claimed with FOR UPDATE SKIP LOCKED: two indexers never apply the same change at once, and a
 * killed indexer's claim ends with its connection, so its changes are applied by the next pass.
 */
import type { Prisma, PrismaClient } from "@agora/platform/database";
import type { OfferRow } from "../data/offer.repository.js";

/** Postgres NOTIFY channel: a change was committed. */
export const searchChangesChannel = "agora_search_changes";

export async function recordSearchChange(tx: Prisma.TransactionClient, offerId: string): Promise<void> {
  await tx.$executeRaw`INSERT INTO "offers"."search_changes" ("offer_id") VALUES (${offerId}::uuid)`;
  // Delivered when (and only if) the transaction commits.
  await tx.$executeRaw`SELECT pg_notify(${searchChangesChannel}, '')`;
}

/** Where changes are applied: a search backend's applyChanges. */
export type ApplyChanges = (offers: OfferRow[], removedIds: string[]) => Promise<void>;

export interface DrainOptions {
  /** Changes per bulk. @defaultValue 500 */
  batchSize?: number;
  /** Longest a batch may hold its claim (the bulk request included). @defaultValue 60000 */
  timeoutMs?: number;
}

/** Applies one batch of the oldest changes; returns how many changes it applied. */
export async function applySearchChangeBatch(db: PrismaClient, apply: ApplyChanges, options: DrainOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  return db.$transaction(
    async (tx) => {
      const claimed = await tx.$queryRaw<{ id: bigint; offerId: string }[]>`
        SELECT "id", "offer_id"::text AS "offerId" FROM "offers"."search_changes"
        ORDER BY "id" LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`;
      if (claimed.length === 0) return 0;
      const ids = [...new Set(claimed.map((c) => c.offerId))];
      // The rows as they are now: several changes of one offer collapse into its latest state.
      const offers = await tx.offer.findMany({ where: { id: { in: ids } } });
      const present = new Set(offers.map((o) => o.id));
      await apply(
        offers,
        ids.filter((id) => !present.has(id)),
      );
      await tx.$executeRaw`DELETE FROM "offers"."search_changes" WHERE "id" = ANY(${claimed.map((c) => c.id)}::bigint[])`;
      return claimed.length;
    },
    { timeout: options.timeoutMs ?? 60_000, maxWait: 10_000 },
  );
}

/** Applies changes until none are left (or only ones another indexer holds); returns how many. */
export async function drainSearchChanges(db: PrismaClient, apply: ApplyChanges, options: DrainOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let total = 0;
  for (;;) {
    const applied = await applySearchChangeBatch(db, apply, { ...options, batchSize });
    total += applied;
    if (applied < batchSize) return total;
  }
}

export interface SearchIndexLag {
  /** Changes committed but not applied yet. */
  pending: number;
  /** Age of the oldest of them in ms; 0 when none. */
  oldestMs: number;
}

export async function searchIndexLag(db: PrismaClient): Promise<SearchIndexLag> {
  const [row] = await db.$queryRaw<{ pending: number; oldestMs: number | null }[]>`
    SELECT count(*)::int AS "pending",
           (extract(epoch FROM clock_timestamp() - min("recorded_at")) * 1000)::float8 AS "oldestMs"
    FROM "offers"."search_changes"`;
  return { pending: row?.pending ?? 0, oldestMs: Math.max(0, Math.round(row?.oldestMs ?? 0)) };
}

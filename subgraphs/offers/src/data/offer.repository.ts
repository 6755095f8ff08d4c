/**
 * Data access for offers.offers. Reads take the client they should use (replica or primary) so
 * resolvers decide routing; writes always receive the primary.
 */
import { Prisma, type Db, type PrismaClient } from "@agora/platform/database";
import { afterKeyWhere, newestFirst, type Connection, type Page, type SortKey } from "@agora/platform";
import type { OfferFields } from "../offer-input.js";
import { recordSearchChange } from "../search/search-outbox.js";
import { recordVocabulary } from "../search/search-vocabulary.js";

export type OfferRow = Db.Offer;
export type OfferStatus = Db.OfferStatus;
/** A User entity as this subgraph knows it: only the key. */
export interface UserRef {
  __typename?: "User";
  id: string;
}
export type OfferConnectionValue = Connection<OfferRow>;

export interface OfferListFilter {
  status: OfferStatus;
  category?: string | null;
  sellerId?: string | null;
  priceMin?: Prisma.Decimal | null;
  priceMax?: Prisma.Decimal | null;
}

export async function findOffersByIds(db: PrismaClient, ids: readonly string[]): Promise<OfferRow[]> {
  return db.offer.findMany({ where: { id: { in: [...ids] } } });
}

function listWhere(filter: OfferListFilter): Prisma.OfferWhereInput {
  const price: Prisma.DecimalFilter<"Offer"> = {};
  if (filter.priceMin) price.gte = filter.priceMin;
  if (filter.priceMax) price.lte = filter.priceMax;
  return {
    status: filter.status,
    ...(filter.category ? { category: filter.category } : {}),
    ...(filter.sellerId ? { sellerId: filter.sellerId } : {}),
    ...(filter.priceMin || filter.priceMax ? { priceAmount: price } : {}),
  };
}

/** One page, newest first, with one extra row telling whether a next page exists. */
export async function listOffers(db: PrismaClient, filter: OfferListFilter, page: Page): Promise<OfferRow[]> {
  return db.offer.findMany({
    where: { AND: [listWhere(filter), afterKeyWhere(page.after)] },
    orderBy: newestFirst,
    take: page.first + 1,
  });
}

export async function countOffers(db: PrismaClient, filter: OfferListFilter): Promise<number> {
  return db.offer.count({ where: listWhere(filter) });
}

/** What every offer write does in its transaction besides the write: tell search (outbox, vocabulary). */
async function recordForSearch(tx: Prisma.TransactionClient, offer: OfferRow): Promise<void> {
  await recordSearchChange(tx, offer.id);
  if (offer.status === "ACTIVE") await recordVocabulary(tx, offer.id);
}

export async function insertOffer(db: PrismaClient, sellerId: string, fields: OfferFields): Promise<OfferRow> {
  return db.$transaction(async (tx) => {
    const offer = await tx.offer.create({ data: { ...fields, sellerId, status: "DRAFT" } });
    await recordForSearch(tx, offer);
    return offer;
  });
}

/**
 * Updates the offer only while it is still in one of `fromStatuses`, so a concurrent transition
 * cannot be overwritten. Returns null when the guard did not match.
 */
export async function updateOfferGuarded(
  db: PrismaClient,
  id: string,
  fromStatuses: readonly OfferStatus[],
  data: Partial<OfferFields> & { status?: OfferStatus },
): Promise<OfferRow | null> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.offer.updateMany({ where: { id, status: { in: [...fromStatuses] } }, data });
    if (count === 0) return null;
    const offer = await tx.offer.findUnique({ where: { id } });
    if (offer) await recordForSearch(tx, offer);
    return offer;
  });
}

/** A request for one seller's page of offers (the User.offers field of one user). */
export interface SellerOffersKey {
  sellerId: string;
  /** DRAFT and ARCHIVED too (the seller themselves or an admin), else ACTIVE only. */
  includeAll: boolean;
  first: number;
  after: SortKey | null;
}

const offerColumns = Prisma.sql`o."id", o."seller_id" AS "sellerId", o."title", o."description", o."price_amount" AS "priceAmount",
  o."currency", o."category", o."tags", o."lat", o."lng", o."status", o."created_at" AS "createdAt", o."updated_at" AS "updatedAt"`;

interface RawOfferRow extends Omit<OfferRow, "priceAmount"> {
  priceAmount: Prisma.Decimal | string | number;
  key: number;
}

const fromRaw = ({ key: _key, ...row }: RawOfferRow): OfferRow => ({
  ...row,
  priceAmount: row.priceAmount instanceof Prisma.Decimal ? row.priceAmount : new Prisma.Decimal(String(row.priceAmount)),
  status: row.status,
  tags: row.tags ?? [],
});

/**
 * The first `first + 1` offers of each key, for any number of keys, in ONE statement: the keys
 * travel as parallel arrays, and a window function numbers each seller's offers newest first.
 * Partitioning by the key's position (not only seller_id) keeps two requests for the same seller
 * with different pages apart.
 */
export async function findSellerOffers(db: PrismaClient, keys: readonly SellerOffersKey[]): Promise<OfferRow[][]> {
  if (keys.length === 0) return [];
  const rows = await db.$queryRaw<RawOfferRow[]>`
    SELECT ranked.* FROM (
      SELECT ${offerColumns}, k.key::int AS "key", k.lim,
             row_number() OVER (PARTITION BY k.key, o."seller_id" ORDER BY o."created_at" DESC, o."id" DESC) AS rn
      FROM unnest(
        ${keys.map((_, i) => i)}::int[],
        ${keys.map((k) => k.sellerId)}::uuid[],
        ${keys.map((k) => k.includeAll)}::boolean[],
        ${keys.map((k) => k.first + 1)}::int[],
        ${keys.map((k) => k.after?.createdAt.toISOString() ?? null)}::timestamptz[],
        ${keys.map((k) => k.after?.id ?? null)}::uuid[]
      ) AS k(key, seller_id, include_all, lim, after_created_at, after_id)
      JOIN "offers"."offers" o ON o."seller_id" = k.seller_id
      WHERE (k.include_all OR o."status" = 'ACTIVE')
        AND (k.after_created_at IS NULL OR (o."created_at", o."id") < (k.after_created_at, k.after_id))
    ) ranked
    WHERE ranked.rn <= ranked.lim
    ORDER BY ranked."key", ranked.rn`;
  const byKey: OfferRow[][] = keys.map(() => []);
  for (const raw of rows) {
    const { lim: _lim, rn: _rn, ...rest } = raw as RawOfferRow & { lim: unknown; rn: unknown };
    byKey[Number(raw.key)]!.push(fromRaw(rest));
  }
  return byKey;
}

export interface SellerCountKey {
  sellerId: string;
  includeAll: boolean;
}

/** totalCount of User.offers for many users: one grouped statement. */
export async function countSellerOffers(db: PrismaClient, keys: readonly SellerCountKey[]): Promise<number[]> {
  if (keys.length === 0) return [];
  const rows = await db.$queryRaw<{ key: number; count: bigint | number }[]>`
    SELECT k.key::int AS "key", count(o."id") AS "count"
    FROM unnest(
      ${keys.map((_, i) => i)}::int[],
      ${keys.map((k) => k.sellerId)}::uuid[],
      ${keys.map((k) => k.includeAll)}::boolean[]
    ) AS k(key, seller_id, include_all)
    LEFT JOIN "offers"."offers" o ON o."seller_id" = k.seller_id AND (k.include_all OR o."status" = 'ACTIVE')
    GROUP BY k.key`;
  const counts = keys.map(() => 0);
  for (const row of rows) counts[Number(row.key)] = Number(row.count);
  return counts;
}

/** Offers in id order from `afterId` on, for reindexing in batches. */
export async function findOffersBatch(db: PrismaClient, afterId: string | null, batchSize: number): Promise<OfferRow[]> {
  return db.offer.findMany({
    where: afterId ? { id: { gt: afterId } } : {},
    orderBy: { id: "asc" },
    take: batchSize,
  });
}

/** Offers written from `since` on (a reindex applies them to the new index before it swaps). */
export async function findOffersUpdatedSince(
  db: PrismaClient,
  since: Date,
  afterId: string | null,
  batchSize: number,
): Promise<OfferRow[]> {
  return db.offer.findMany({
    where: { updatedAt: { gte: since }, ...(afterId ? { id: { gt: afterId } } : {}) },
    orderBy: { id: "asc" },
    take: batchSize,
  });
}

export async function countAllOffers(db: PrismaClient): Promise<number> {
  return db.offer.count();
}

/**
 * Data access for offers.offers. Reads take the client they should use (replica or primary) so
 * resolvers decide routing; writes always receive the primary.
 */
import { Prisma, queryRows, type Db, type PrismaClient, type Statement } from "@agora/platform/database";
import type { Connection, Page, SortKey } from "@agora/platform";
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

// The reads every federated query makes (the listing, its count, offers by id) are plain prepared
// statements (see queryRows): Prisma's query pipeline cost three times their CPU.
const offerSelect = `o.id::text AS id, o.seller_id::text AS "sellerId", o.title, o.description, o.price_amount::text AS "priceAmount",
  o.currency, o.category, o.tags, o.lat, o.lng, o.status::text AS status, o.created_at AS "createdAt", o.updated_at AS "updatedAt"`;

type SelectedOffer = Omit<OfferRow, "priceAmount"> & { priceAmount: string };
const toOfferRow = (row: SelectedOffer): OfferRow => ({ ...row, priceAmount: new Prisma.Decimal(row.priceAmount) });

const offersByIds: Statement = {
  name: "offers.offers_by_ids",
  text: `SELECT ${offerSelect} FROM offers.offers o WHERE o.id = ANY($1::uuid[])`,
};

export async function findOffersByIds(db: PrismaClient, ids: readonly string[]): Promise<OfferRow[]> {
  return (await queryRows<SelectedOffer>(db, offersByIds, [ids])).map(toOfferRow);
}

/**
 * The WHERE clause of a listing and its values. Only the conditions in use are in the text, so
 * each combination is its own prepared statement with its own plan (an `$n IS NULL OR …` catch-all
 * would get one generic plan that cannot use the category or seller indexes).
 */
function listWhere(filter: OfferListFilter, after: SortKey | null = null): { name: string; where: string; values: unknown[] } {
  const values: unknown[] = [filter.status];
  const conditions = [`o.status = $1::offers."OfferStatus"`];
  const used: string[] = [];
  const add = (key: string, condition: (...n: string[]) => string, ...args: unknown[]) => {
    const placeholders = args.map((value) => `$${values.push(value)}`);
    conditions.push(condition(...placeholders));
    used.push(key);
  };
  if (filter.category) add("category", (n) => `o.category = ${n}`, filter.category);
  if (filter.sellerId) add("seller", (n) => `o.seller_id = ${n}::uuid`, filter.sellerId);
  if (filter.priceMin) add("min", (n) => `o.price_amount >= ${n}::numeric`, filter.priceMin.toFixed());
  if (filter.priceMax) add("max", (n) => `o.price_amount <= ${n}::numeric`, filter.priceMax.toFixed());
  if (after) add("after", (t, id) => `(o.created_at, o.id) < (${t}::timestamptz, ${id}::uuid)`, after.createdAt, after.id);
  return { name: used.join("_") || "status", where: conditions.join(" AND "), values };
}

/** One page, newest first, with one extra row telling whether a next page exists. */
export async function listOffers(db: PrismaClient, filter: OfferListFilter, page: Page): Promise<OfferRow[]> {
  const { name, where, values } = listWhere(filter, page.after);
  const limit = `$${values.push(page.first + 1)}::int`;
  const statement = {
    name: `offers.list_${name}`,
    text: `SELECT ${offerSelect} FROM offers.offers o WHERE ${where} ORDER BY o.created_at DESC, o.id DESC LIMIT ${limit}`,
  };
  return (await queryRows<SelectedOffer>(db, statement, values)).map(toOfferRow);
}

export async function countOffers(db: PrismaClient, filter: OfferListFilter): Promise<number> {
  const { name, where, values } = listWhere(filter);
  const statement = { name: `offers.count_${name}`, text: `SELECT count(*)::int AS count FROM offers.offers o WHERE ${where}` };
  const [row] = await queryRows<{ count: number }>(db, statement, values);
  return row?.count ?? 0;
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

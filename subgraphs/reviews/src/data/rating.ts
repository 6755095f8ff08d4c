/**
 * Offer.rating is a running aggregate (reviews.offer_ratings: count, sum, stars1..stars5) of an
 * offer's reviews that are not REJECTED. Every review write computes how its counted contribution
 * changes and applies that difference in the same transaction, as one atomic
 * `INSERT ... ON CONFLICT DO UPDATE SET x = x + delta` (Prisma's native upsert): concurrent writers
 * never read-modify-write the row, so a burst of reviews cannot lose an update.
 */
import { queryRows, type Db, type Prisma, type PrismaClient } from "@agora/platform/database";

export const starValues = [1, 2, 3, 4, 5] as const;
export type Stars = (typeof starValues)[number];

/** What of a review the aggregate depends on. */
export interface RatingContribution {
  rating: number;
  moderationStatus: Db.ModerationStatus;
}

export interface RatingDelta {
  count: number;
  sum: number;
  /** Index 0 is one star. */
  stars: [number, number, number, number, number];
}

/** The value the OfferRating GraphQL type is resolved from. */
export interface OfferRatingView {
  average: number | null;
  count: number;
  distribution: { stars: number; count: number }[];
}

/** REJECTED reviews are kept (their author still sees them) but leave the rating. */
export const isCounted = (review: RatingContribution) => review.moderationStatus !== "REJECTED";

const contribution = (review: RatingContribution | null): RatingDelta => {
  const delta: RatingDelta = { count: 0, sum: 0, stars: [0, 0, 0, 0, 0] };
  if (!review || !isCounted(review)) return delta;
  delta.count = 1;
  delta.sum = review.rating;
  delta.stars[review.rating - 1] = 1;
  return delta;
};

/** How the aggregate changes when a review goes from `before` to `after` (null: absent). */
export function ratingDelta(before: RatingContribution | null, after: RatingContribution | null): RatingDelta {
  const a = contribution(after);
  const b = contribution(before);
  return {
    count: a.count - b.count,
    sum: a.sum - b.sum,
    stars: [0, 1, 2, 3, 4].map((i) => a.stars[i]! - b.stars[i]!) as RatingDelta["stars"],
  };
}

export const isNoChange = (delta: RatingDelta) => delta.count === 0 && delta.sum === 0 && delta.stars.every((n) => n === 0);

/**
 * Applies `delta` to the offer's aggregate; call it inside the transaction of the review write.
 * One statement; no-op deltas issue none.
 */
export async function applyRatingDelta(tx: Prisma.TransactionClient, offerId: string, delta: RatingDelta): Promise<void> {
  if (isNoChange(delta)) return;
  const [stars1, stars2, stars3, stars4, stars5] = delta.stars;
  await tx.offerRating.upsert({
    where: { offerId },
    create: { offerId, count: delta.count, sum: delta.sum, stars1, stars2, stars3, stars4, stars5 },
    update: {
      count: { increment: delta.count },
      sum: { increment: delta.sum },
      stars1: { increment: stars1 },
      stars2: { increment: stars2 },
      stars3: { increment: stars3 },
      stars4: { increment: stars4 },
      stars5: { increment: stars5 },
    },
  });
}

type RatingRow = Pick<Db.OfferRating, "count" | "sum" | "stars1" | "stars2" | "stars3" | "stars4" | "stars5">;

export function toOfferRatingView(row: RatingRow | null | undefined): OfferRatingView {
  const counts = row ? [row.stars1, row.stars2, row.stars3, row.stars4, row.stars5] : [0, 0, 0, 0, 0];
  const count = row?.count ?? 0;
  return {
    average: count > 0 ? Math.round((row!.sum / count) * 100) / 100 : null,
    count,
    distribution: starValues.map((stars, i) => ({ stars, count: counts[i]! })),
  };
}

// Read for every offer of a federated query: a plain prepared statement (see queryRows).
const ratingsByOffer = {
  name: "reviews.ratings_by_offer",
  text: `SELECT offer_id::text AS "offerId", count, sum, stars_1 AS "stars1", stars_2 AS "stars2", stars_3 AS "stars3",
      stars_4 AS "stars4", stars_5 AS "stars5", updated_at AS "updatedAt"
    FROM reviews.offer_ratings WHERE offer_id = ANY($1::uuid[])`,
};

/** Batched read for DataLoaders: one statement for any number of offers. */
export async function findOfferRatings(db: PrismaClient, offerIds: readonly string[]): Promise<Map<string, Db.OfferRating>> {
  if (offerIds.length === 0) return new Map();
  const rows = await queryRows<Db.OfferRating>(db, ratingsByOffer, [offerIds]);
  return new Map(rows.map((row) => [row.offerId, row]));
}

/**
 * The aggregate recomputed from the reviews table, in the shape of the stored row: used by tests
 * to check the running aggregate, and by `rebuildOfferRating` to repair one.
 */
export async function recomputeOfferRating(db: PrismaClient | Prisma.TransactionClient, offerId: string): Promise<RatingRow> {
  const groups = await db.review.groupBy({
    by: ["rating"],
    where: { offerId, moderationStatus: { not: "REJECTED" } },
    _count: { _all: true },
  });
  const row: RatingRow = { count: 0, sum: 0, stars1: 0, stars2: 0, stars3: 0, stars4: 0, stars5: 0 };
  for (const group of groups) {
    const n = group._count._all;
    row.count += n;
    row.sum += group.rating * n;
    row[`stars${group.rating as Stars}`] += n;
  }
  return row;
}

/** Overwrites an offer's aggregate with a recomputation (maintenance; not on the request path). */
export async function rebuildOfferRating(db: PrismaClient, offerId: string): Promise<RatingRow> {
  return db.$transaction(async (tx) => {
    // Take the aggregate row's lock first (creating the row if needed): writers that already
    // touched it have committed before the recount below reads, later writers wait and then add
    // their own increment on top of the rebuilt value.
    await tx.offerRating.upsert({ where: { offerId }, create: { offerId }, update: { count: { increment: 0 } } });
    const row = await recomputeOfferRating(tx, offerId);
    await tx.offerRating.update({ where: { offerId }, data: row });
    return row;
  });
}

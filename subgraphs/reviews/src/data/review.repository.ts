/**
 * Data access for reviews (Postgres schema `reviews`). Reads are batched for DataLoaders: one
 * statement for any number of parents. Writes run in a transaction together with the change to the
 * offer's rating aggregate (see rating.ts).
 */
import { conflict, notFound, type Connection, type Identity, type Page } from "@agora/platform";
import { Prisma, queryRows, type Db, type PrismaClient } from "@agora/platform/database";
import { insertJobs } from "@agora/platform/job-store";
import { applyRatingDelta, ratingDelta } from "./rating.js";

export type ReviewRecord = Db.Review;
export type ReviewConnectionRecord = Connection<ReviewRecord>;

/** Whose eyes a read is for: REJECTED reviews are shown only to their author and to moderators. */
export interface Viewer {
  userId: string | null;
  moderator: boolean;
}

export const viewerOf = (identity: Identity | null): Viewer => ({
  userId: identity?.userId ?? null,
  moderator: identity?.role === "MODERATOR" || identity?.role === "ADMIN",
});

export const canSee = (viewer: Viewer, review: Pick<ReviewRecord, "authorId" | "moderationStatus">) =>
  review.moderationStatus !== "REJECTED" || viewer.moderator || review.authorId === viewer.userId;

/**
 * Interactive transactions wait for a pooled connection; a burst of writes on a small pool must
 * queue rather than fail after Prisma's 2 s default.
 */
export const transactionOptions = { maxWait: 15_000, timeout: 15_000 } as const;

/** Parent columns lists are grouped by; a closed set, so they can be spliced into SQL. */
export type ParentColumn = "offer_id" | "author_id";

const reviewColumns = Prisma.sql`r.id, r.offer_id AS "offerId", r.author_id AS "authorId", r.rating, r.body,
  r.moderation_status::text AS "moderationStatus", r.sentiment, r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

function visibilitySql(viewer: Viewer): Prisma.Sql {
  if (viewer.moderator) return Prisma.empty;
  if (viewer.userId) return Prisma.sql`AND (r.moderation_status <> 'REJECTED' OR r.author_id = ${viewer.userId}::uuid)`;
  return Prisma.sql`AND r.moderation_status <> 'REJECTED'`;
}

export async function findReviewsByIds(db: PrismaClient, ids: readonly string[]): Promise<Map<string, ReviewRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db.review.findMany({ where: { id: { in: [...ids] } } });
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The first `page.first + 1` visible reviews (newest first, after `page.after`) of each parent, in
 * ONE statement: a window function numbers each parent's reviews, the outer query keeps the top.
 * The extra row only tells the connection whether a next page exists. On every federated query
 * that shows reviews, so a plain prepared statement (see queryRows), one per (parent column,
 * viewer kind, cursor or not).
 */
export async function findFirstReviewsPerParent(
  db: PrismaClient,
  column: ParentColumn,
  parentIds: readonly string[],
  page: Page,
  viewer: Viewer,
): Promise<Map<string, ReviewRecord[]>> {
  const byParent = new Map<string, ReviewRecord[]>(parentIds.map((id) => [id, []]));
  if (parentIds.length === 0) return byParent;
  const values: unknown[] = [[...parentIds], page.first + 1];
  const parent = `r.${column}`;
  let visibility = "";
  if (!viewer.moderator) {
    visibility = viewer.userId
      ? `AND (r.moderation_status <> 'REJECTED' OR r.author_id = $${values.push(viewer.userId)}::uuid)`
      : `AND r.moderation_status <> 'REJECTED'`;
  }
  const after = page.after
    ? `AND (r.created_at, r.id) < ($${values.push(page.after.createdAt)}::timestamptz, $${values.push(page.after.id)}::uuid)`
    : "";
  const viewerKind = viewer.moderator ? "moderator" : viewer.userId ? "user" : "anonymous";
  const statement = {
    name: `reviews.first_per_${column}_${viewerKind}${page.after ? "_after" : ""}`,
    text: `SELECT ranked.* FROM (
      SELECT r.id::text AS id, r.offer_id::text AS "offerId", r.author_id::text AS "authorId", r.rating::int AS rating, r.body,
             r.moderation_status::text AS "moderationStatus", r.sentiment, r.created_at AS "createdAt", r.updated_at AS "updatedAt",
             ${parent}::text AS "parentId",
             row_number() OVER (PARTITION BY ${parent} ORDER BY r.created_at DESC, r.id DESC)::int AS position
      FROM reviews.reviews r
      WHERE ${parent} = ANY($1::uuid[]) ${visibility} ${after}
    ) ranked
    WHERE ranked.position <= $2::int
    ORDER BY ranked."parentId", ranked.position`,
  };
  const rows = await queryRows<ReviewRecord & { parentId: string; position: number }>(db, statement, values);
  for (const { parentId, position: _position, ...review } of rows) byParent.get(parentId)?.push(review);
  return byParent;
}

/** Visible reviews per parent, in one grouped statement. */
export async function countReviewsPerParent(
  db: PrismaClient,
  column: ParentColumn,
  parentIds: readonly string[],
  viewer: Viewer,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(parentIds.map((id) => [id, 0]));
  if (parentIds.length === 0) return counts;
  const parent = Prisma.raw(`r.${column}`);
  const rows = await db.$queryRaw<{ parentId: string; count: number }[]>`
    SELECT ${parent} AS "parentId", count(*)::int AS count
    FROM reviews.reviews r
    WHERE ${parent} = ANY(${[...parentIds]}::uuid[]) ${visibilitySql(viewer)}
    GROUP BY ${parent}`;
  for (const row of rows) counts.set(row.parentId, row.count);
  return counts;
}

/** Reads a review and locks its row until the transaction ends, so concurrent writes serialise. */
export async function lockReview(tx: Prisma.TransactionClient, id: string): Promise<ReviewRecord | null> {
  const rows = await tx.$queryRaw<ReviewRecord[]>`SELECT ${reviewColumns} FROM reviews.reviews r WHERE r.id = ${id}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

export interface NewReview {
  offerId: string;
  authorId: string;
  rating: number;
  body: string;
}

/** New or edited text is scored by the moderation worker; queued in the review's own transaction. */
async function queueModeration(tx: Prisma.TransactionClient, review: ReviewRecord): Promise<void> {
  await insertJobs(tx, [{ type: "MODERATION", input: { reviewId: review.id, body: review.body }, requestedBy: review.authorId }]);
}

/** Inserts a review and counts it in the offer's rating; CONFLICT when the author already reviewed the offer. */
export async function createReview(db: PrismaClient, input: NewReview): Promise<ReviewRecord> {
  try {
    return await db.$transaction(async (tx) => {
      const review = await tx.review.create({ data: input });
      await applyRatingDelta(tx, review.offerId, ratingDelta(null, review));
      await queueModeration(tx, review);
      return review;
    }, transactionOptions);
  } catch (error) {
    // The unique index (author_id, offer_id) is the arbiter, also for two requests racing.
    if (isUniqueViolation(error)) throw conflict(`You have already reviewed offer ${input.offerId}; edit that review instead.`);
    throw error;
  }
}

export interface ReviewChanges {
  rating?: number | undefined;
  body?: string | undefined;
}

/**
 * Changes rating and/or body. `authorize` sees the locked current row and throws to refuse.
 * A changed body is new text to moderate: its sentiment is cleared and an APPROVED review goes back
 * to PENDING (a REJECTED one stays rejected until a moderator says otherwise).
 */
export async function updateReview(
  db: PrismaClient,
  id: string,
  changes: ReviewChanges,
  authorize: (current: ReviewRecord) => void,
): Promise<ReviewRecord> {
  return db.$transaction(async (tx) => {
    const current = await lockReview(tx, id);
    if (!current) throw notFound("Review", id);
    authorize(current);
    const data: Prisma.ReviewUpdateInput = {};
    if (changes.rating !== undefined && changes.rating !== current.rating) data.rating = changes.rating;
    if (changes.body !== undefined && changes.body !== current.body) {
      data.body = changes.body;
      data.sentiment = null;
      if (current.moderationStatus === "APPROVED") data.moderationStatus = "PENDING";
    }
    if (Object.keys(data).length === 0) return current;
    const updated = await tx.review.update({ where: { id }, data });
    await applyRatingDelta(tx, current.offerId, ratingDelta(current, updated));
    if (data.body !== undefined) await queueModeration(tx, updated);
    return updated;
  }, transactionOptions);
}

/** Sets a locked review's moderation status and/or sentiment, inside the caller's transaction (moderation.ts). */
export async function writeModeration(
  tx: Prisma.TransactionClient,
  id: string,
  data: { moderationStatus: Db.ModerationStatus; sentiment?: number | null },
): Promise<ReviewRecord> {
  return tx.review.update({ where: { id }, data });
}

/** Deletes a review and takes it out of the offer's rating. `authorize` may refuse. */
export async function deleteReview(db: PrismaClient, id: string, authorize: (current: ReviewRecord) => void): Promise<ReviewRecord> {
  return db.$transaction(async (tx) => {
    const current = await lockReview(tx, id);
    if (!current) throw notFound("Review", id);
    authorize(current);
    await tx.review.delete({ where: { id } });
    await applyRatingDelta(tx, current.offerId, ratingDelta(current, null));
    return current;
  }, transactionOptions);
}

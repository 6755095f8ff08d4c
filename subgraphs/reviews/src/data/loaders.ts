/**
 * Per-request DataLoaders: every entity and list fetch of a request goes through one of these, so
 * the number of SQL statements does not grow with the number of offers, users or reviews asked for.
 */
import DataLoader from "dataloader";
import type { Page } from "@agora/platform";
import type { PrismaClient } from "@agora/platform/database";
import { findOfferRatings, toOfferRatingView, type OfferRatingView } from "./rating.js";
import {
  countReviewsPerParent,
  findFirstReviewsPerParent,
  findReviewsByIds,
  type ParentColumn,
  type ReviewRecord,
  type Viewer,
} from "./review.repository.js";

/** One parent's page of reviews; requests with the same (first, after) share one statement. */
export interface ReviewListKey {
  parentId: string;
  page: Page;
  /** The `after` cursor as the client sent it; part of the cache key. */
  after: string | null;
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * @param db read at batch time, not now: a mutation switches `db.read` to the primary after the
 * context is built (read-your-writes).
 */
export function createLoaders(db: { read: PrismaClient }, viewer: Viewer) {
  const listLoader = (column: ParentColumn) =>
    new DataLoader<ReviewListKey, ReviewRecord[], string>(
      async (keys) => {
        // Normally every key of a request has the same arguments: one statement in all.
        const groups = new Map<string, { page: Page; parentIds: Set<string> }>();
        for (const key of keys) {
          const argsKey = pageKey(key);
          const group = groups.get(argsKey) ?? { page: key.page, parentIds: new Set<string>() };
          group.parentIds.add(key.parentId);
          groups.set(argsKey, group);
        }
        const results = new Map<string, Map<string, ReviewRecord[]>>();
        await Promise.all(
          [...groups].map(async ([argsKey, group]) => {
            results.set(argsKey, await findFirstReviewsPerParent(db.read, column, [...group.parentIds], group.page, viewer));
          }),
        );
        return keys.map((key) => results.get(pageKey(key))?.get(key.parentId) ?? []);
      },
      { cacheKeyFn: (key) => `${key.parentId}|${pageKey(key)}` },
    );

  const countLoader = (column: ParentColumn) =>
    new DataLoader<string, number>(async (parentIds) => {
      const counts = await countReviewsPerParent(db.read, column, parentIds, viewer);
      return parentIds.map((id) => counts.get(id) ?? 0);
    });

  return {
    reviewById: new DataLoader<string, ReviewRecord | null>(async (ids) => {
      const found = await findReviewsByIds(db.read, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    offerReviews: listLoader("offer_id"),
    authorReviews: listLoader("author_id"),
    offerReviewCount: countLoader("offer_id"),
    authorReviewCount: countLoader("author_id"),
    offerRating: new DataLoader<string, OfferRatingView>(async (offerIds) => {
      const rows = await findOfferRatings(db.read, offerIds);
      return offerIds.map((id) => toOfferRatingView(rows.get(id)));
    }),
  };
}

const pageKey = (key: ReviewListKey) => `${key.page.first}|${key.after ?? ""}`;

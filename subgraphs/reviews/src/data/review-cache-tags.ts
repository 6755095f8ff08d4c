/**
 * What a review write changes in the gateways' response caches: the review itself, its offer (its
 * reviews and its rating) and its author (their reviews). Shared by the mutations and the
 * moderation worker, which both write reviews.
 */
import { cacheTags } from "@agora/platform";
import type { ReviewRecord } from "./review.repository.js";

export const reviewCacheTags = (review: Pick<ReviewRecord, "id" | "offerId" | "authorId">): string[] => [
  cacheTags.review(review.id),
  cacheTags.offer(review.offerId),
  cacheTags.user(review.authorId),
];

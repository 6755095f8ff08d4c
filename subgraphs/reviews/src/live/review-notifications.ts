/**
 * The notifications a review causes, in one place for the reviews subgraph (createReview,
 * moderateReview) and the moderation worker (`@agora/reviews/notifications`). Each is published
 * after the review's transaction has committed.
 */
import { publishNotification, type LivePublisher } from "@agora/platform/live-events";
import type { ReviewRecord } from "../data/review.repository.js";

/** Tells the offer's seller that someone reviewed it. */
export async function notifyReviewReceived(live: LivePublisher | undefined, review: ReviewRecord, sellerId: string): Promise<void> {
  if (!live) return;
  await publishNotification(live, {
    kind: "REVIEW_RECEIVED",
    userId: sellerId,
    message: `Your offer received a ${review.rating}-star review.`,
    offerId: review.offerId,
    reviewId: review.id,
  });
}

/** Tells the author that their review was approved or rejected; a review still PENDING says nothing. */
export async function notifyReviewModerated(live: LivePublisher | undefined, review: ReviewRecord): Promise<void> {
  if (!live || review.moderationStatus === "PENDING") return;
  await publishNotification(live, {
    kind: "REVIEW_MODERATED",
    userId: review.authorId,
    message: review.moderationStatus === "APPROVED" ? "Your review was approved." : "Your review was rejected by moderation.",
    offerId: review.offerId,
    reviewId: review.id,
  });
}

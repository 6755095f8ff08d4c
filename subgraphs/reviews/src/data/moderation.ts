/**
 * Moderation outcomes, shared by the `moderateReview` mutation and the moderation worker
 * (`import { setModerationResult } from "@agora/reviews/moderation"`).
 *
 * The status change and the offer's rating aggregate move together in one transaction, under a
 * lock on the review row, and only by the difference between the old and the new status: applying
 * the same outcome twice (a retried job) changes the aggregate once.
 */
import { isUuid } from "@agora/platform";
import { type Db, type PrismaClient } from "@agora/platform/database";
import { applyRatingDelta, ratingDelta } from "./rating.js";
import { lockReview, transactionOptions, writeModeration, type ReviewRecord } from "./review.repository.js";

export type ModerationStatus = Db.ModerationStatus;

export interface ModerationResult {
  status: ModerationStatus;
  /** Sentiment score of the body; null clears it. Left unchanged when undefined. */
  sentiment?: number | null | undefined;
  /**
   * For automatic verdicts: the body text that was judged. The verdict is dropped when the review
   * has been edited since (a newer moderation job judges the new text), and only the sentiment is
   * kept when the review is no longer PENDING (a moderator has decided; people win over the lexicon).
   */
  judgedBody?: string;
}

const statuses: readonly string[] = ["PENDING", "APPROVED", "REJECTED"];

/**
 * Sets a review's moderation status (and sentiment) and fixes the offer's rating in the same
 * transaction. Idempotent: when nothing changes, nothing is written.
 *
 * @returns the review as it now is, or null when it no longer exists (deleted meanwhile: for a
 * worker, nothing left to do).
 */
export async function setModerationResult(prisma: PrismaClient, reviewId: string, result: ModerationResult): Promise<ReviewRecord | null> {
  if (!isUuid(reviewId)) throw new RangeError(`Not a review id: ${JSON.stringify(reviewId)}.`);
  if (!statuses.includes(result.status)) throw new RangeError(`Unknown moderation status ${JSON.stringify(result.status)}.`);
  if (result.sentiment != null && !Number.isFinite(result.sentiment))
    throw new RangeError(`Sentiment must be a finite number, got ${result.sentiment}.`);
  return prisma.$transaction(async (tx) => {
    const current = await lockReview(tx, reviewId);
    if (!current) return null;
    if (result.judgedBody !== undefined) {
      if (result.judgedBody !== current.body) return current;
      if (current.moderationStatus !== "PENDING") result = { status: current.moderationStatus, sentiment: result.sentiment };
    }
    const sentimentChanges = result.sentiment !== undefined && result.sentiment !== current.sentiment;
    if (current.moderationStatus === result.status && !sentimentChanges) return current;
    const updated = await writeModeration(tx, reviewId, {
      moderationStatus: result.status,
      ...(sentimentChanges ? { sentiment: result.sentiment } : {}),
    });
    await applyRatingDelta(tx, current.offerId, ratingDelta(current, updated));
    return updated;
  }, transactionOptions);
}

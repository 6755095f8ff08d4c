/**
 * MODERATION: `{ reviewId, body }` from the reviews subgraph (through the jobs outbox). The verdict
 * goes through the reviews package's own `setModerationResult`, which moves the review's status and
 * the offer's rating aggregate together and idempotently (a retried job changes them once).
 * A verdict that was applied is a moderation decision of the platform: an audit event without an
 * actor, keyed by the job so a re-run of the job is stored once.
 */
import { setModerationResult } from "@agora/reviews/moderation";
import { notifyReviewModerated } from "@agora/reviews/notifications";
import { reviewCacheTags } from "@agora/reviews/cache-tags";
import { z } from "zod";
import { checkReview } from "../moderation/review-checks.js";
import type { JobHandler } from "../platform-job.js";
import { parseInput } from "./input.js";

const moderationInput = z.object({ reviewId: z.string().uuid(), body: z.string() });

export const moderation: JobHandler = async (ctx) => {
  const { reviewId, body } = parseInput(moderationInput, ctx.row.input);
  const verdict = checkReview(body);
  await ctx.throwIfCancelled();
  const review = await setModerationResult(ctx.deps.prisma, reviewId, {
    status: verdict.status,
    sentiment: verdict.sentiment,
    judgedBody: body,
  });
  // A verdict may move the review out of (or into) its offer's rating and lists.
  if (review) await ctx.deps.cache.invalidate(reviewCacheTags(review));
  // Only when this verdict is the review's status now (not overruled by a moderator, not stale).
  if (review?.moderationStatus === verdict.status) {
    await notifyReviewModerated(ctx.deps.live, review);
    ctx.deps.audit.record({
      action: "REVIEW_MODERATION",
      outcome: "SUCCESS",
      targetType: "REVIEW",
      targetId: reviewId,
      details: { status: verdict.status, by: "moderation-worker", flags: verdict.flags, jobId: ctx.row.id },
      idempotencyKey: `review-moderation:${ctx.row.id}`,
    });
  }
  // A review deleted meanwhile leaves nothing to moderate; the verdict is still recorded on the job.
  return { reviewId, status: verdict.status, sentiment: verdict.sentiment, flags: verdict.flags, applied: review !== null };
};

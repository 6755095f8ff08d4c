import {
  AgoraError,
  badUserInput,
  ErrorCode,
  forbidden,
  isAdmin,
  isModerator,
  requireIdentity,
  requireText,
  requireUuid,
} from "@agora/platform";
import { setModerationResult } from "../data/moderation.js";
import { createReview, deleteReview, updateReview, type ReviewChanges } from "../data/review.repository.js";
import { reviewCacheTags } from "../data/review-cache-tags.js";
import type { Resolvers } from "../generated/graphql.js";
import { notifyReviewModerated, notifyReviewReceived } from "../live/review-notifications.js";

export const maxBodyLength = 2000;

function requireRating(value: number, field = "rating"): number {
  if (!Number.isInteger(value) || value < 1 || value > 5)
    throw badUserInput(`"${field}" must be a whole number of stars from 1 to 5, got ${value}.`, field);
  return value;
}

const requireBody = (value: string) => requireText(value, "body", { max: maxBodyLength });

const notFound = (what: string, id: string) => new AgoraError(ErrorCode.NOT_FOUND, `${what} ${id} was not found.`, { id });

export const mutationResolvers: Resolvers = {
  Mutation: {
    async createReview(_parent, { input }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const offerId = requireUuid(input.offerId, "offerId");
      const rating = requireRating(input.rating);
      const body = requireBody(input.body);

      const offer = await ctx.services.offers.findOffer(offerId, ctx.identityToken);
      if (!offer) throw notFound("offer", offerId);
      if (offer.status !== "ACTIVE")
        throw badUserInput(`offer ${offerId} is ${offer.status}; only ACTIVE offers can be reviewed.`, "offerId");
      if (offer.sellerId === identity.userId) throw forbidden("You cannot review your own offer.");

      const review = await createReview(ctx.db.write, { offerId, authorId: identity.userId, rating, body });
      await ctx.cache.invalidate(reviewCacheTags(review));
      if (offer.sellerId) await notifyReviewReceived(ctx.services.live, review, offer.sellerId);
      return review;
    },

    async updateReview(_parent, { id, input }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const reviewId = requireUuid(id);
      const changes: ReviewChanges = {};
      if (input.rating != null) changes.rating = requireRating(input.rating, "input.rating");
      if (input.body != null) changes.body = requireBody(input.body);
      if (changes.rating === undefined && changes.body === undefined) throw badUserInput("Give a rating or a body to change.", "input");

      const review = await updateReview(ctx.db.write, reviewId, changes, (current) => {
        if (current.authorId !== identity.userId) throw forbidden("Only the author can edit this review.");
      });
      await ctx.cache.invalidate(reviewCacheTags(review));
      return review;
    },

    async deleteReview(_parent, { id }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const reviewId = requireUuid(id);
      const deleted = await deleteReview(ctx.db.write, reviewId, (current) => {
        if (current.authorId !== identity.userId && !isAdmin(identity))
          throw forbidden("Only the author or an admin can delete this review.");
      });
      await ctx.cache.invalidate(reviewCacheTags(deleted));
      return true;
    },

    async moderateReview(_parent, { id, status }, ctx) {
      const identity = requireIdentity(ctx.identity);
      if (!isModerator(identity)) throw forbidden("Only moderators can moderate reviews.");
      const reviewId = requireUuid(id);
      const review = await setModerationResult(ctx.db.write, reviewId, { status });
      if (!review) throw notFound("review", reviewId);
      ctx.audit.record({ action: "REVIEW_MODERATION", outcome: "SUCCESS", targetType: "REVIEW", targetId: reviewId, details: { status } });
      await ctx.cache.invalidate(reviewCacheTags(review));
      await notifyReviewModerated(ctx.services.live, review);
      return review;
    },
  },
};

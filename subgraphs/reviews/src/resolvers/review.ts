import { DateTimeScalar, isUuid, requireUuid } from "@agora/platform";
import { canSee } from "../data/review.repository.js";
import type { Resolvers } from "../generated/graphql.js";

export const reviewResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    async review(_parent, { id }, ctx) {
      const review = await ctx.loaders.reviewById.load(requireUuid(id));
      return review && canSee(ctx.viewer, review) ? review : null;
    },
  },
  Review: {
    async __resolveReference(reference, ctx) {
      if (!isUuid(reference.id)) return null;
      const review = await ctx.loaders.reviewById.load(reference.id.toLowerCase());
      return review && canSee(ctx.viewer, review) ? review : null;
    },
    author: (review) => ({ __typename: "User", id: review.authorId }),
    offer: (review) => ({ __typename: "Offer", id: review.offerId }),
  },
};

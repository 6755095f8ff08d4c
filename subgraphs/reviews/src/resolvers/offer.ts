import { isUuid } from "@agora/platform";
import { toOfferRatingView } from "../data/rating.js";
import type { Resolvers } from "../generated/graphql.js";
import { reviewConnection } from "./connections.js";

/** Offer is owned by the offers subgraph; reviews contributes `reviews` and `rating`. */
export const offerResolvers: Resolvers = {
  Offer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    reviews: (offer, args, ctx) => reviewConnection(ctx.loaders.offerReviews, ctx.loaders.offerReviewCount, offer.id, args),
    rating: (offer, _args, ctx) => (isUuid(offer.id) ? ctx.loaders.offerRating.load(offer.id.toLowerCase()) : toOfferRatingView(null)),
  },
};

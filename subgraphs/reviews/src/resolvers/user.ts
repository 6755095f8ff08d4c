import type { Resolvers } from "../generated/graphql.js";
import { reviewConnection } from "./connections.js";

/** User is owned by the users subgraph; reviews contributes the reviews a user wrote. */
export const userResolvers: Resolvers = {
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    reviews: (user, args, ctx) => reviewConnection(ctx.loaders.authorReviews, ctx.loaders.authorReviewCount, user.id, args),
  },
};

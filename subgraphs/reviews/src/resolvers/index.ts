import type { Resolvers } from "../generated/graphql.js";
import { mutationResolvers } from "./mutation.js";
import { offerResolvers } from "./offer.js";
import { reviewResolvers } from "./review.js";
import { userResolvers } from "./user.js";

export const resolvers: Resolvers = {
  ...reviewResolvers,
  ...offerResolvers,
  ...userResolvers,
  ...mutationResolvers,
};

import { isAdmin, isUuid } from "@agora/platform";
import { isSelf } from "../context.js";
import type { UserResolvers } from "../generated/graphql.js";

export const User: UserResolvers = {
  // Batched: all representations of one _entities request become one findMany.
  __resolveReference: (reference, ctx) => (isUuid(reference.id) ? ctx.loaders.userById.load(reference.id.toLowerCase()) : null),
  email: (user, _args, ctx) => (isSelf(ctx, user.id) || isAdmin(ctx.identity) ? user.email : null),
};

import { isAdmin, isUuid, parsePage, toConnection } from "@agora/platform";
import type { UserResolvers } from "../generated/graphql.js";

export const User: UserResolvers = {
  __resolveReference: (reference) => ({ __typename: "User", id: reference.id }),
  async offers(user, args, ctx) {
    const page = parsePage(args);
    // Ids that are not UUIDs cannot own offers (and would not survive the uuid cast in SQL).
    if (!isUuid(user.id)) return toConnection([], page, () => 0);
    const sellerId = user.id.toLowerCase();
    const includeAll = isAdmin(ctx.identity) || ctx.identity?.userId === sellerId;
    const rows = await ctx.loaders.sellerOffers.load({ sellerId, includeAll, first: page.first, after: page.after });
    return toConnection(rows, page, () => ctx.loaders.sellerOfferCount.load({ sellerId, includeAll }));
  },
};

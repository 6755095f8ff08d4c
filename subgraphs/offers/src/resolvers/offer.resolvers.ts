import { isUuid } from "@agora/platform";
import type { OfferResolvers } from "../generated/graphql.js";
import { canSee } from "../offer-access.js";

export const Offer: OfferResolvers = {
  // Same visibility as Query.offer: a draft does not leak through another subgraph's reference.
  async __resolveReference(reference, ctx) {
    if (!isUuid(reference.id)) return null;
    const offer = await ctx.loaders.offerById.load(reference.id.toLowerCase());
    return offer && canSee(ctx.identity, offer) ? offer : null;
  },
  price: (offer) => ({ amount: offer.priceAmount.toFixed(2), currency: offer.currency }),
  location: (offer) => ({ lat: offer.lat, lng: offer.lng }),
  seller: (offer) => ({ __typename: "User", id: offer.sellerId }),
};

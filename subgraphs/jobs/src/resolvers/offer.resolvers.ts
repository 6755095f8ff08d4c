import { forbidden, isAdmin, requireIdentity } from "@agora/platform";
import type { ImageVariantModel, OfferImageRow } from "../data/models.js";
import type { Resolvers } from "../generated/graphql.js";
import { publicFileUrl } from "../storage/public-files.js";
import { requireDateRange, utcDays } from "./job-rules.js";

type VariantName = "original" | "medium" | "thumbnail";

/** A variant from the row's `variants` JSON; a missing one falls back to the original. */
function variant(image: OfferImageRow, name: VariantName): ImageVariantModel {
  const variants = (image.variants ?? {}) as Partial<Record<VariantName, ImageVariantModel>>;
  const found = variants[name] ?? variants.original;
  if (found) return found;
  return { path: "", width: image.width, height: image.height, format: image.format, bytes: image.bytes };
}

export const offerResolvers: Resolvers = {
  Offer: {
    __resolveReference: (reference) => ({ id: reference.id, seller: "seller" in reference ? (reference.seller ?? null) : null }),
    // Any signed-in user may upload with any offerId (this service cannot see offers), so only the
    // seller's own uploads are shown: the seller id comes from the offers subgraph via @requires.
    async images(offer, _args, ctx) {
      const images = await ctx.loaders.imagesByOfferId.load(offer.id);
      const sellerId = offer.seller?.id;
      return sellerId ? images.filter((image) => image.uploadedBy === sellerId) : [];
    },
    async stats(offer, { from, to }, ctx) {
      const identity = requireIdentity(ctx.identity);
      if (!isAdmin(identity) && offer.seller?.id !== identity.userId)
        throw forbidden("Only the offer's seller or an admin may see its statistics.");
      const range = requireDateRange(from, to, "stats");
      return ctx.loaders.statsByOffer.load({ offerId: offer.id, range: utcDays(range) });
    },
  },

  OfferImage: {
    original: (image) => variant(image, "original"),
    medium: (image) => variant(image, "medium"),
    thumbnail: (image) => variant(image, "thumbnail"),
  },

  ImageVariant: {
    url: (image, _args, ctx) => publicFileUrl(ctx.services.settings.publicBaseUrl, image.path),
  },
};

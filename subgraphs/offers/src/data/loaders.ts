/**
 * Per-request DataLoaders: every entity and relationship fetch goes through one, so a request
 * issues a fixed number of statements however many offers or users it touches.
 */
import DataLoader from "dataloader";
import type { PrismaClient } from "@agora/platform/database";
import {
  countSellerOffers,
  findOffersByIds,
  findSellerOffers,
  type OfferRow,
  type SellerCountKey,
  type SellerOffersKey,
} from "./offer.repository.js";

export interface Loaders {
  /** Offer rows by id, whatever their status (visibility is the resolver's call). */
  offerById: DataLoader<string, OfferRow | null>;
  /** `first + 1` rows of a seller's offers, newest first. */
  sellerOffers: DataLoader<SellerOffersKey, OfferRow[], string>;
  sellerOfferCount: DataLoader<SellerCountKey, number, string>;
}

/** `db` is read when a batch runs: a mutation switches the request's reads to the primary after the context is built. */
export function createLoaders(db: () => PrismaClient): Loaders {
  return {
    offerById: new DataLoader(async (ids) => {
      const rows = await findOffersByIds(db(), ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    sellerOffers: new DataLoader((keys) => findSellerOffers(db(), keys), {
      cacheKeyFn: (k) => JSON.stringify([k.sellerId, k.includeAll, k.first, k.after?.createdAt.toISOString() ?? null, k.after?.id ?? null]),
    }),
    sellerOfferCount: new DataLoader((keys) => countSellerOffers(db(), keys), {
      cacheKeyFn: (k) => `${k.sellerId}:${k.includeAll}`,
    }),
  };
}

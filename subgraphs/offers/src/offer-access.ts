/** Who may see and change an offer. */
import { forbidden, isAdmin, type Identity } from "@agora/platform";
import type { OfferRow } from "./data/offer.repository.js";

export const isSellerOrAdmin = (identity: Identity | null, offer: Pick<OfferRow, "sellerId">) =>
  isAdmin(identity) || (identity !== null && identity.userId === offer.sellerId);

/** ACTIVE offers are public; drafts and archived offers only for their seller and admins. */
export const canSee = (identity: Identity | null, offer: OfferRow) => offer.status === "ACTIVE" || isSellerOrAdmin(identity, offer);

export function requireSellerOrAdmin(identity: Identity, offer: OfferRow): void {
  if (!isSellerOrAdmin(identity, offer)) throw forbidden("Only the offer's seller or an admin can change it.");
}

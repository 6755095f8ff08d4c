import { cacheTags, conflict, forbidden, isAdmin, notFound, requireIdentity, requireUuid, type Identity } from "@agora/platform";
import { insertOffer, updateOfferGuarded, type OfferRow, type OfferStatus } from "../data/offer.repository.js";
import type { Context } from "../context.js";
import type { MutationResolvers } from "../generated/graphql.js";
import { requireSellerOrAdmin } from "../offer-access.js";
import { parseCreateOfferInput, parseUpdateOfferInput, type OfferFields } from "../offer-input.js";
import { requestReindex } from "../search/reindex-request.js";

/** The offer a mutation is about: NOT_FOUND when missing, FORBIDDEN unless seller or admin. */
async function offerToChange(ctx: Context, identity: Identity, id: string): Promise<OfferRow> {
  const offer = await ctx.loaders.offerById.load(id);
  if (!offer) throw notFound("Offer", id);
  requireSellerOrAdmin(identity, offer);
  return offer;
}

/**
 * After the commit: refresh the request's cache (the search outbox row was written in the
 * transaction) and the gateways' response caches (the offer, its seller's lists, every offer list),
 * before the answer goes out, so the writer's next read is fresh.
 */
async function written(ctx: Context, offer: OfferRow): Promise<OfferRow> {
  ctx.loaders.offerById.clear(offer.id).prime(offer.id, offer);
  const seller = offer.sellerId ? [cacheTags.user(offer.sellerId)] : [];
  await ctx.cache.invalidate([cacheTags.offer(offer.id), ...seller, ...cacheTags.offerLists()]);
  return offer;
}

async function change(ctx: Context, offer: OfferRow, from: readonly OfferStatus[], data: Partial<OfferFields> & { status?: OfferStatus }) {
  const updated = await updateOfferGuarded(ctx.db.write, offer.id, from, data);
  // The guard failed: someone changed the offer's status between our read and our write.
  if (!updated) throw conflict(`Offer ${offer.id} was changed meanwhile; reload it and try again.`);
  return written(ctx, updated);
}

export const Mutation: MutationResolvers = {
  async createOffer(_parent, { input }, ctx) {
    const identity = requireIdentity(ctx.identity);
    const fields = parseCreateOfferInput(input);
    return written(ctx, await insertOffer(ctx.db.write, identity.userId, fields));
  },

  async updateOffer(_parent, args, ctx) {
    const identity = requireIdentity(ctx.identity);
    const id = requireUuid(args.id);
    const fields = parseUpdateOfferInput(args.input);
    const offer = await offerToChange(ctx, identity, id);
    if (offer.status === "ARCHIVED") throw conflict(`Offer ${id} is archived and can no longer be edited.`);
    if (Object.keys(fields).length === 0) return offer;
    return change(ctx, offer, ["DRAFT", "ACTIVE"], fields);
  },

  async publishOffer(_parent, args, ctx) {
    const identity = requireIdentity(ctx.identity);
    const offer = await offerToChange(ctx, identity, requireUuid(args.id));
    if (offer.status !== "DRAFT") throw conflict(`Only a DRAFT offer can be published; offer ${offer.id} is ${offer.status}.`);
    return change(ctx, offer, ["DRAFT"], { status: "ACTIVE" });
  },

  async archiveOffer(_parent, args, ctx) {
    const identity = requireIdentity(ctx.identity);
    const offer = await offerToChange(ctx, identity, requireUuid(args.id));
    if (offer.status === "ARCHIVED") throw conflict(`Offer ${offer.id} is already archived.`);
    const archived = await change(ctx, offer, ["DRAFT", "ACTIVE"], { status: "ARCHIVED" });
    // An admin taking an offer down is a security-relevant act; a seller archiving their own is not.
    if (isAdmin(identity)) {
      ctx.audit.record({
        action: "OFFER_ARCHIVE",
        outcome: "SUCCESS",
        targetType: "OFFER",
        targetId: offer.id,
        details: { sellerId: offer.sellerId, previousStatus: offer.status },
      });
    }
    return archived;
  },

  async reindexOffers(_parent, _args, ctx) {
    const identity = requireIdentity(ctx.identity);
    if (!isAdmin(identity)) throw forbidden("Only admins can rebuild the search index.");
    return requestReindex(ctx.db.write, identity.userId);
  },
};

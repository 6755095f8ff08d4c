import { badUserInput, forbidden, isAdmin, parsePage, requireUuid, toConnection, unauthenticated, type Identity } from "@agora/platform";
import { countOffers, listOffers, type OfferListFilter, type OfferStatus } from "../data/offer.repository.js";
import type { QueryResolvers } from "../generated/graphql.js";
import { canSee } from "../offer-access.js";
import { optionalUuid, parseNear, parsePriceRange, requireCategory } from "../offer-input.js";
import type { SearchRequest } from "../search/search-backend.js";
import { emptySearchConnection, toSearchConnection } from "../search/search-connection.js";
import { decodeSearchCursor, searchFingerprint } from "../search/search-cursor.js";
import { parseSearchText } from "../search/search-text.js";

/**
 * The statuses a caller may filter on: ACTIVE for everyone; DRAFT or ARCHIVED for admins, and for
 * sellers about their own offers ("filter.sellerId" set to their id).
 */
function visibleStatuses(identity: Identity | null, status: OfferStatus | null, sellerId: string | null): OfferStatus[] {
  const wanted = status ?? "ACTIVE";
  if (wanted !== "ACTIVE" && !isAdmin(identity)) {
    if (!identity) throw unauthenticated(`Sign in to see ${wanted} offers.`);
    if (sellerId !== identity.userId)
      throw forbidden(`Only admins can see other sellers' ${wanted} offers; set "filter.sellerId" to your own id.`);
  }
  return [wanted];
}

export const Query: QueryResolvers = {
  async offer(_parent, { id }, ctx) {
    const offer = await ctx.loaders.offerById.load(requireUuid(id));
    if (!offer || !canSee(ctx.identity, offer)) return null;
    ctx.recordAnalytics({ type: "OFFER_VIEW", offerId: offer.id, userId: ctx.identity?.userId ?? null });
    return offer;
  },

  async offers(_parent, args, ctx) {
    const page = parsePage(args);
    const filter = args.filter ?? {};
    const sellerId = optionalUuid(filter.sellerId, "filter.sellerId");
    const [status = "ACTIVE"] = visibleStatuses(ctx.identity, filter.status ?? null, sellerId);
    const where: OfferListFilter = {
      status,
      sellerId,
      category: filter.category == null ? null : requireCategory(filter.category, "filter.category"),
      ...parsePriceRange(filter, "filter"),
    };
    const rows = await listOffers(ctx.db.read, where, page);
    return toConnection(rows, page, () => countOffers(ctx.db.read, where));
  },

  async searchOffers(_parent, args, ctx) {
    const { first } = parsePage({ first: args.first });
    const text = parseSearchText(args.query);
    const filter = args.filter ?? {};
    const near = filter.near == null ? null : parseNear(filter.near, "filter.near");
    const requested = args.sort ?? "RELEVANCE";
    if (requested === "DISTANCE" && !near) throw badUserInput(`"sort: DISTANCE" needs "filter.near" to measure from.`, "sort");
    const sellerId = optionalUuid(filter.sellerId, "filter.sellerId");
    const statuses = visibleStatuses(ctx.identity, filter.status ?? null, sellerId);
    const price = parsePriceRange(filter, "filter");
    const category = filter.category == null ? null : requireCategory(filter.category, "filter.category");
    const hasPreviousPage = args.after != null;
    // Only punctuation or operators: nothing to match, and nothing an engine should parse.
    if (text.query !== "" && text.words.length === 0) return emptySearchConnection(hasPreviousPage);
    // An empty query has no relevance: the filtered offers, newest first.
    const sort = requested === "RELEVANCE" && text.words.length === 0 ? "NEWEST" : requested;
    const fingerprint = searchFingerprint([
      ctx.search.name,
      text.query,
      category,
      sellerId,
      price.priceMin?.toFixed(2) ?? null,
      price.priceMax?.toFixed(2) ?? null,
      near,
      statuses,
      sort,
    ]);
    const request: SearchRequest = {
      query: text.query,
      words: text.words,
      excluded: text.excluded,
      alternatives: text.alternatives,
      category,
      sellerId,
      ...price,
      near,
      statuses,
      sort,
      after: args.after == null ? null : decodeSearchCursor(args.after, fingerprint, sort),
      limit: first + 1,
    };
    const page = await ctx.search.search(request, ctx.db.read);
    const rows = await ctx.loaders.offerById.loadMany(page.hits.slice(0, first).map((hit) => hit.id));
    const connection = toSearchConnection(
      page,
      rows.map((row) => (row instanceof Error ? null : row)),
      { first, fingerprint, hasPreviousPage, visible: (row) => statuses.includes(row.status) },
    );
    for (const edge of connection.edges)
      ctx.recordAnalytics({ type: "SEARCH", offerId: edge.node.id, userId: ctx.identity?.userId ?? null, query: text.query });
    return connection;
  },
};

import { badUserInput, forbidden, isAdmin, parsePage, requireText, requireUuid, toConnection, unauthenticated } from "@agora/platform";
import { countOffers, listOffers, type OfferConnectionValue, type OfferListFilter, type OfferRow } from "../data/offer.repository.js";
import type { QueryResolvers } from "../generated/graphql.js";
import { canSee } from "../offer-access.js";
import { optionalUuid, parseNear, parsePriceRange, requireCategory, searchQueryLength } from "../offer-input.js";
import { decodeSearchCursor, encodeSearchCursor } from "../search/search-cursor.js";
import { maxSearchWindow, type SearchRequest } from "../search/search-backend.js";

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
    const status = filter.status ?? "ACTIVE";
    if (status !== "ACTIVE" && !isAdmin(ctx.identity)) {
      if (!ctx.identity) throw unauthenticated(`Sign in to list ${status} offers.`);
      if (sellerId !== ctx.identity.userId)
        throw forbidden(`Only admins can list other sellers' ${status} offers; set "filter.sellerId" to your own id.`);
    }
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
    const query = requireText(args.query, "query", searchQueryLength);
    const offset = args.after == null ? 0 : decodeSearchCursor(args.after) + 1;
    if (offset + first > maxSearchWindow) {
      throw badUserInput(`Search results can be paged through the first ${maxSearchWindow} only; refine the query or the filter.`, "after");
    }
    const filter = args.filter ?? {};
    const near = filter.near == null ? null : parseNear(filter.near, "filter.near");
    const sort = args.sort ?? "RELEVANCE";
    if (sort === "DISTANCE" && !near) throw badUserInput(`"sort: DISTANCE" needs "filter.near" to measure from.`, "sort");
    const request: SearchRequest = {
      query,
      category: filter.category == null ? null : requireCategory(filter.category, "filter.category"),
      sellerId: optionalUuid(filter.sellerId, "filter.sellerId"),
      ...parsePriceRange(filter, "filter"),
      near,
      sort,
      offset,
      limit: first + 1,
    };
    const hits = await ctx.search.search(request, ctx.db.read);
    const pageIds = hits.ids.slice(0, first);
    const rows = await ctx.loaders.offerById.loadMany(pageIds);
    // The index may lag behind Postgres (Elasticsearch): drop hits that are no longer public.
    const edges = rows.flatMap((row, i) =>
      row && !(row instanceof Error) && row.status === "ACTIVE" ? [{ cursor: encodeSearchCursor(offset + i), node: row as OfferRow }] : [],
    );
    for (const edge of edges) ctx.recordAnalytics({ type: "SEARCH", offerId: edge.node.id, userId: ctx.identity?.userId ?? null, query });
    const connection: OfferConnectionValue = {
      edges,
      pageInfo: {
        hasNextPage: hits.ids.length > first,
        hasPreviousPage: offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? (pageIds.length ? encodeSearchCursor(offset + pageIds.length - 1) : null),
      },
      totalCount: hits.total,
    };
    return connection;
  },
};

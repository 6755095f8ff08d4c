/** What `searchOffers` returns before GraphQL resolves it: edges in engine order, the rest on demand. */
import type { OfferRow } from "../data/offer.repository.js";
import type { SearchPage } from "./search-backend.js";
import { encodeSearchCursor } from "./search-cursor.js";
import { emptyFacets, type SearchFacets } from "./search-facets.js";
import { markedHtml } from "./search-highlight.js";

export interface OfferHighlightValue {
  title: string;
  description: string;
  tags: string[];
}

export interface OfferSearchEdgeValue {
  cursor: string;
  node: OfferRow;
  highlight: () => Promise<OfferHighlightValue | null>;
  distanceKm: number | null;
}

export interface OfferSearchConnectionValue {
  edges: OfferSearchEdgeValue[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number> | number;
  facets: () => Promise<SearchFacets> | SearchFacets;
  suggestion: () => Promise<string | null> | string | null;
}

export const emptySearchConnection = (hasPreviousPage: boolean): OfferSearchConnectionValue => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage, startCursor: null, endCursor: null },
  totalCount: () => 0,
  facets: () => emptyFacets(),
  suggestion: () => null,
});

/**
 * `rows` are the hits' offers as loaded from Postgres (null when gone); `visible` drops hits the
 * caller may no longer see (Elasticsearch can lag behind a write by a moment).
 */
export function toSearchConnection(
  page: SearchPage,
  rows: (OfferRow | null)[],
  options: { first: number; fingerprint: string; hasPreviousPage: boolean; visible: (row: OfferRow) => boolean },
): OfferSearchConnectionValue {
  const hits = page.hits.slice(0, options.first);
  const cursorOf = (i: number) => {
    const hit = hits[i];
    return hit ? encodeSearchCursor(options.fingerprint, { values: hit.sortValues, pointInTime: page.pointInTime }) : null;
  };
  const edges: OfferSearchEdgeValue[] = [];
  hits.forEach((hit, i) => {
    const row = rows[i];
    if (!row || !options.visible(row)) return;
    edges.push({
      cursor: cursorOf(i) ?? "",
      node: row,
      highlight: async () => {
        const raw = await hit.highlight();
        return raw && { title: markedHtml(raw.title), description: markedHtml(raw.description), tags: raw.tags.map(markedHtml) };
      },
      distanceKm: hit.distanceKm,
    });
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hits.length > options.first,
      hasPreviousPage: options.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      // The last hit's position even when it was dropped: the next page continues after it.
      endCursor: hits.length ? cursorOf(hits.length - 1) : null,
    },
    totalCount: () => page.total(),
    facets: () => page.facets(),
    suggestion: () => page.suggestion(),
  };
}

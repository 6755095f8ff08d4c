/**
 * The request bodies the Elasticsearch backend sends, built from the parsed words of a query (never
 * from the text as typed: no query-string syntax reaches Elasticsearch, so nothing a user types
 * can be an engine error or an injection). Exported so tests can see exactly what is asked.
 */
import { Prisma } from "@agora/platform/database";
import type { estypes } from "@elastic/elasticsearch";
import type { SearchRequest } from "./search-backend.js";
import type { SortValues } from "./search-cursor.js";
import { distanceEdgesWithin, priceBucketEdges } from "./search-facets.js";
import { markEnd, markStart } from "./search-highlight.js";

const textFields = ["title^3", "tags.text^2", "description"];

const exactTerm = (term: string[]): estypes.QueryDslQueryContainer =>
  term.length === 1
    ? { multi_match: { query: term[0] ?? "", fields: textFields, type: "best_fields" } }
    : { multi_match: { query: term.join(" "), fields: textFields, type: "phrase" } };

/**
 * Exact: any alternative with all its terms (words or phrases), boosted. Fuzzy: every word within
 * `fuzziness: AUTO` edits in some field, so a typo still finds the offer, ranked below exact hits.
 * Excluded words must not occur.
 */
export function textQuery(request: SearchRequest): estypes.QueryDslQueryContainer | null {
  if (request.words.length === 0) return null;
  const exact: estypes.QueryDslQueryContainer = {
    bool: {
      should: request.alternatives.map((terms) => ({ bool: { must: terms.map(exactTerm) } })),
      minimum_should_match: 1,
      boost: 2,
    },
  };
  const fuzzy: estypes.QueryDslQueryContainer = {
    bool: {
      must: request.words.map((word) => ({
        multi_match: { query: word, fields: textFields, type: "best_fields", fuzziness: "AUTO", prefix_length: 0, max_expansions: 50 },
      })),
    },
  };
  return {
    bool: {
      should: [exact, fuzzy],
      minimum_should_match: 1,
      must_not: request.excluded.map((word) => ({ multi_match: { query: word, fields: textFields, type: "best_fields" } })),
    },
  };
}

export function filterClauses(request: SearchRequest): estypes.QueryDslQueryContainer[] {
  const filter: estypes.QueryDslQueryContainer[] = [{ terms: { status: request.statuses } }];
  if (request.category) filter.push({ term: { category: request.category } });
  if (request.sellerId) filter.push({ term: { sellerId: request.sellerId } });
  if (request.priceMin || request.priceMax) {
    filter.push({
      range: {
        price: {
          ...(request.priceMin ? { gte: request.priceMin.toNumber() } : {}),
          ...(request.priceMax ? { lte: request.priceMax.toNumber() } : {}),
        },
      },
    });
  }
  if (request.near) {
    filter.push({
      geo_distance: {
        distance: `${request.near.radiusKm}km`,
        distance_type: "arc",
        location: { lat: request.near.lat, lon: request.near.lng },
      },
    });
  }
  return filter;
}

export function searchQuery(request: SearchRequest): estypes.QueryDslQueryContainer {
  const text = textQuery(request);
  return { bool: { ...(text ? { must: [text] } : {}), filter: filterClauses(request) } };
}

const newest: estypes.SortCombinations[] = [{ createdAt: { order: "desc" } }, { id: { order: "desc" } }];

export function sortOf(request: SearchRequest): estypes.SortCombinations[] {
  switch (request.sort) {
    case "RELEVANCE":
      return [{ _score: { order: "desc" } }, ...newest];
    case "NEWEST":
      return newest;
    case "PRICE_ASC":
      return [{ price: { order: "asc" } }, ...newest];
    case "PRICE_DESC":
      return [{ price: { order: "desc" } }, ...newest];
    case "DISTANCE":
      if (!request.near) throw new Error("DISTANCE sort needs `near` (validated by the resolver)");
      return [
        { _geo_distance: { location: { lat: request.near.lat, lon: request.near.lng }, order: "asc", unit: "km", distance_type: "arc" } },
        ...newest,
      ];
  }
}

/** Elasticsearch's sort values of a hit as the cursor carries them (dates as ISO, prices as decimal strings). */
export function toSortValues(request: SearchRequest, sort: estypes.SortResults | undefined): SortValues {
  const values = sort ?? [];
  const iso = (value: unknown) => new Date(Number(value)).toISOString();
  if (request.sort === "NEWEST") return [iso(values[0]), String(values[1])];
  const primary =
    request.sort === "PRICE_ASC" || request.sort === "PRICE_DESC" ? new Prisma.Decimal(Number(values[0])).toFixed(2) : Number(values[0]);
  return [primary, iso(values[1]), String(values[2])];
}

/** The cursor's values as search_after needs them (epoch millis, numbers). */
export function toSearchAfter(values: SortValues): estypes.SortResults {
  if (values.length === 2) return [Date.parse(values[0]), values[1]];
  const [primary, createdAt, id] = values;
  return [typeof primary === "string" ? Number(primary) : primary, Date.parse(createdAt), id];
}

export const highlightOf = (request: SearchRequest): estypes.SearchHighlight | undefined =>
  request.words.length === 0
    ? undefined
    : {
        pre_tags: [markStart],
        post_tags: [markEnd],
        // Escaping happens after the markers are placed (search-highlight.ts).
        encoder: "default",
        require_field_match: true,
        fields: {
          title: { number_of_fragments: 0 },
          description: { fragment_size: 150, number_of_fragments: 2, no_match_size: 150 },
          "tags.text": { number_of_fragments: 0 },
        },
      };

/** The page: query, sort, keyset position, highlights, total. */
export function buildSearchBody(request: SearchRequest): estypes.SearchRequest {
  return {
    query: searchQuery(request),
    sort: sortOf(request),
    size: request.limit,
    track_total_hits: true,
    // Fallbacks of the highlight (a field without a match), and the point distances are measured to.
    _source: ["title", "location"],
    ...(request.after ? { search_after: toSearchAfter(request.after.values) } : {}),
    ...(highlightOf(request) ? { highlight: highlightOf(request) } : {}),
  };
}

/** Ranges [0, e0), [e0, e1), …, [last, ∞): bucket i is the same bucket as width_bucket's i in Postgres. */
function rangesFrom(edges: readonly number[]): estypes.AggregationsAggregationRange[] {
  const ranges: estypes.AggregationsAggregationRange[] = [];
  let from: number | undefined;
  for (const edge of edges) {
    ranges.push(from === undefined ? { to: edge } : { from, to: edge });
    from = edge;
  }
  ranges.push(from === undefined ? {} : { from });
  return ranges;
}

/** Facets: one request of counts only (size 0), the same edges as the Postgres backend. */
export function buildFacetsBody(request: SearchRequest): estypes.SearchRequest {
  const aggregations: Record<string, estypes.AggregationsAggregationContainer> = {
    categories: { terms: { field: "category", size: 100 } },
    price: { range: { field: "price", ranges: rangesFrom(priceBucketEdges) } },
  };
  if (request.near) {
    aggregations.distance = {
      geo_distance: {
        field: "location",
        origin: { lat: request.near.lat, lon: request.near.lng },
        unit: "km",
        distance_type: "arc",
        ranges: rangesFrom(distanceEdgesWithin(request.near.radiusKm)),
      },
    };
  }
  return { query: searchQuery(request), size: 0, track_total_hits: true, aggregations };
}

/** "Did you mean": Elasticsearch's term suggester over the unstemmed vocabulary field. */
export function buildSuggestBody(request: SearchRequest): estypes.SearchRequest {
  return {
    size: 0,
    suggest: { words: { text: request.words.join(" "), term: { field: "words", suggest_mode: "missing", max_edits: 2, sort: "score" } } },
  };
}

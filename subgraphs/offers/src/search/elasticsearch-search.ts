/**
 * Search backend on Elasticsearch, used when ELASTICSEARCH_URL is set. Pages are read from a point
 * in time (opened on the first page, carried in cursors) with search_after, so paging is stable
 * while offers change; facets and suggestions are separate requests, sent only when asked for.
 * The resolver loads the hits' rows from Postgres. Writes reach the index through the search outbox
 * (`applyChanges`, run by the search indexer).
 */
import { errors, type estypes } from "@elastic/elasticsearch";
import { serviceUnavailable, type Logger } from "@agora/platform";
import type { ElasticsearchTarget } from "./elasticsearch-client.js";
import { bulkIndex, ensureIndex, rebuildIndex } from "./elasticsearch-index.js";
import { buildFacetsBody, buildSearchBody, buildSuggestBody, searchQuery, toSortValues } from "./elasticsearch-query.js";
import { haversineKm } from "./geo-distance.js";
import type { RawHighlight, SearchBackend, SearchHit, SearchPage, SearchRequest } from "./search-backend.js";
import { distanceBand, priceBucket, sortCategories, type SearchFacets } from "./search-facets.js";

export interface ElasticsearchSearchOptions {
  /** How long a point in time stays open after its last page. @defaultValue "2m" */
  pointInTimeKeepAlive?: string;
}

export interface ElasticsearchSearch extends SearchBackend {
  readonly target: ElasticsearchTarget;
  /**
   * Creates the index behind the alias unless it exists; once it succeeded, resolves at once.
   * Writes wait for it: indexing into a missing index would let Elasticsearch create one with a
   * guessed mapping (no geo_point), breaking geo queries until a rebuild.
   */
  ready(): Promise<void>;
}

interface Source {
  title?: string;
  location?: { lat: number; lon: number };
}

const isExpiredPointInTime = (error: unknown) =>
  error instanceof errors.ResponseError &&
  (error.statusCode === 404 || JSON.stringify(error.body ?? "").includes("search_context_missing_exception"));

const countOf = (total: estypes.SearchTotalHits | number | undefined) => (typeof total === "number" ? total : (total?.value ?? 0));

export function createElasticsearchSearch(
  target: ElasticsearchTarget,
  log: Logger,
  options: ElasticsearchSearchOptions = {},
): ElasticsearchSearch {
  const keepAlive = options.pointInTimeKeepAlive ?? "2m";
  const { client } = target;
  const unavailable = (error: unknown) => {
    log.error({ err: error, index: target.index }, "Elasticsearch search failed");
    return serviceUnavailable("Search is unavailable right now (Elasticsearch did not answer); please try again shortly.");
  };
  let indexReady: Promise<void> | null = null;
  const ready = () =>
    (indexReady ??= ensureIndex(target).catch((error: unknown) => {
      indexReady = null;
      throw error;
    }));

  const readPage = async (request: SearchRequest, pointInTime: string | undefined): Promise<estypes.SearchResponse<Source>> => {
    const id = pointInTime ?? (await client.openPointInTime({ index: target.index, keep_alive: keepAlive })).id;
    return client.search<Source>({ pit: { id, keep_alive: keepAlive }, ...buildSearchBody(request) });
  };

  const toHit = (request: SearchRequest, hit: estypes.SearchHit<Source>): SearchHit | null => {
    if (!hit._id) return null;
    const location = hit._source?.location;
    const highlight: RawHighlight | null =
      request.words.length === 0
        ? null
        : {
            title: hit.highlight?.title?.[0] ?? hit._source?.title ?? "",
            description: (hit.highlight?.description ?? []).join(" … "),
            tags: hit.highlight?.["tags.text"] ?? [],
          };
    return {
      id: hit._id,
      sortValues: toSortValues(request, hit.sort),
      // In the same response already.
      highlight: async () => highlight,
      distanceKm: request.near && location ? haversineKm(request.near, { lat: location.lat, lng: location.lon }) : null,
    };
  };

  const facets = async (request: SearchRequest): Promise<SearchFacets> => {
    let response: estypes.SearchResponse<unknown, Record<string, estypes.AggregationsAggregate>>;
    try {
      response = await client.search({ index: target.index, ...buildFacetsBody(request) });
    } catch (error) {
      throw unavailable(error);
    }
    const bucketsOf = (name: string) => {
      const aggregate = response.aggregations?.[name] as { buckets?: unknown } | undefined;
      return (Array.isArray(aggregate?.buckets) ? aggregate.buckets : []) as { key: unknown; doc_count: number }[];
    };
    return {
      categories: sortCategories(bucketsOf("categories").map((b) => ({ category: String(b.key), count: b.doc_count }))),
      price: bucketsOf("price").flatMap((b, i) => (b.doc_count > 0 ? [priceBucket(i, b.doc_count)] : [])),
      distance: request.near
        ? bucketsOf("distance").flatMap((b, i) =>
            b.doc_count > 0 && request.near ? [distanceBand(i, b.doc_count, request.near.radiusKm)] : [],
          )
        : [],
    };
  };

  const suggestion = async (request: SearchRequest): Promise<string | null> => {
    try {
      const response = await client.search({ index: target.index, ...buildSuggestBody(request) });
      const entries = (response.suggest?.words ?? []) as estypes.SearchTermSuggest[];
      let changed = false;
      const words = request.words.map((word) => {
        const entry = entries.find((e) => e.text === word);
        const options = entry?.options;
        const best = Array.isArray(options) ? options[0] : options;
        if (!best?.text || best.text === word) return word;
        changed = true;
        return best.text;
      });
      if (!changed) return null;
      const retry: SearchRequest = { ...request, query: words.join(" "), words, excluded: [], alternatives: [words.map((w) => [w])] };
      // Only suggest what finds something under the same filters.
      const { count } = await client.count({ index: target.index, query: searchQuery(retry) });
      return count > 0 ? retry.query : null;
    } catch (error) {
      throw unavailable(error);
    }
  };

  return {
    name: "elasticsearch",
    target,
    ready,
    async search(request: SearchRequest): Promise<SearchPage> {
      let response: estypes.SearchResponse<Source>;
      try {
        try {
          response = await readPage(request, request.after?.pointInTime);
        } catch (error) {
          // The point in time expired (an idle client): continue from the same position in a new one.
          if (!request.after?.pointInTime || !isExpiredPointInTime(error)) throw error;
          response = await readPage(request, undefined);
        }
      } catch (error) {
        throw unavailable(error);
      }
      const total = countOf(response.hits.total);
      return {
        hits: response.hits.hits.flatMap((hit) => toHit(request, hit) ?? []),
        pointInTime: response.pit_id,
        total: async () => total,
        facets: () => facets(request),
        suggestion: async () => (total > 0 || request.words.length === 0 ? null : suggestion(request)),
      };
    },
    async applyChanges(offers, removedIds) {
      await ready();
      await bulkIndex(target, target.index, offers, removedIds);
    },
    async reindex(db, reindexOptions) {
      return rebuildIndex(target, db, reindexOptions);
    },
    async close() {
      await client.close();
    },
  };
}

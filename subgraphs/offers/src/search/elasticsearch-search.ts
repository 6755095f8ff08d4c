/**
 * Search backend on Elasticsearch, used when ELASTICSEARCH_URL is set. Postgres stays the source
 * of truth: the index holds every offer (any status, so a status change is one overwrite), queries
 * filter on ACTIVE, and the resolver loads the hits' rows from Postgres. Writes reach the index
 * after the Postgres commit (`offerChanged`); `reindexAll` rebuilds it from Postgres (the
 * search-index worker runs it, e.g. after Elasticsearch was down).
 */
import { Client, errors, type estypes } from "@elastic/elasticsearch";
import { serviceUnavailable, type Logger } from "@agora/platform";
import { type PrismaClient } from "@agora/platform/database";
import { findOffersBatch, type OfferRow } from "../data/offer.repository.js";
import type { SearchBackend, SearchHits, SearchRequest } from "./search-backend.js";

/** Where offers are indexed: a client and an index name. */
export interface ElasticsearchTarget {
  client: Client;
  /** @defaultValue "agora-offers" (ELASTICSEARCH_INDEX) */
  index: string;
}

export interface ElasticsearchClientOptions {
  url: string;
  apiKey?: string | undefined;
  /** @defaultValue 5000 */
  requestTimeoutMs?: number;
}

export function createElasticsearchClient(options: ElasticsearchClientOptions): Client {
  return new Client({
    node: options.url,
    ...(options.apiKey ? { auth: { apiKey: options.apiKey } } : {}),
    requestTimeout: options.requestTimeoutMs ?? 5000,
    maxRetries: 2,
  });
}

/** The indexed form of an offer. `price` is the amount as a number (scaled_float, 2 decimals). */
export interface OfferDocument {
  id: string;
  sellerId: string;
  title: string;
  description: string;
  price: number;
  currency: string;
  category: string;
  tags: string[];
  location: { lat: number; lon: number };
  status: string;
  createdAt: string;
  updatedAt: string;
}

export const offerMappings: estypes.MappingTypeMapping = {
  dynamic: "strict",
  properties: {
    id: { type: "keyword" },
    sellerId: { type: "keyword" },
    title: { type: "text", analyzer: "english" },
    description: { type: "text", analyzer: "english" },
    price: { type: "scaled_float", scaling_factor: 100 },
    currency: { type: "keyword" },
    category: { type: "keyword" },
    tags: { type: "keyword" },
    location: { type: "geo_point" },
    status: { type: "keyword" },
    createdAt: { type: "date" },
    updatedAt: { type: "date" },
  },
};

export function toDocument(offer: OfferRow): OfferDocument {
  return {
    id: offer.id,
    sellerId: offer.sellerId,
    title: offer.title,
    description: offer.description,
    price: offer.priceAmount.toNumber(),
    currency: offer.currency,
    category: offer.category,
    tags: offer.tags,
    location: { lat: offer.lat, lon: offer.lng },
    status: offer.status,
    createdAt: offer.createdAt.toISOString(),
    updatedAt: offer.updatedAt.toISOString(),
  };
}

/** Creates the index with its mapping unless it exists. */
export async function ensureIndex(target: ElasticsearchTarget): Promise<void> {
  if (await target.client.indices.exists({ index: target.index })) return;
  try {
    await target.client.indices.create({ index: target.index, mappings: offerMappings });
  } catch (error) {
    // Another instance created it between our check and our create.
    if (error instanceof errors.ResponseError && error.body?.error?.type === "resource_already_exists_exception") return;
    throw error;
  }
}

/**
 * Writes are versioned by `updatedAt` (external_gte): when two writes of one offer race (two
 * instances, or a reindex running beside live writes), the older version loses instead of
 * overwriting the newer one.
 */
const versionOf = (offer: OfferRow) => ({ version: offer.updatedAt.getTime(), version_type: "external_gte" as const });

const isVersionConflict = (error: unknown) =>
  error instanceof errors.ResponseError && error.body?.error?.type === "version_conflict_engine_exception";

/** Indexes one offer; a newer version already in the index is left alone. */
export async function indexOffer(target: ElasticsearchTarget, offer: OfferRow): Promise<void> {
  try {
    await target.client.index({ index: target.index, id: offer.id, document: toDocument(offer), ...versionOf(offer) });
  } catch (error) {
    if (!isVersionConflict(error)) throw error;
  }
}

/** Removes an offer from the index; an offer that is not there is fine. */
export async function deleteOffer(target: ElasticsearchTarget, id: string): Promise<void> {
  await target.client.delete({ index: target.index, id }, { ignore: [404] });
}

export interface ReindexOptions {
  /** Offers per bulk request. @defaultValue 500 */
  batchSize?: number;
  /** Called after each batch, e.g. to report job progress. */
  onBatch?: (indexedSoFar: number) => void | Promise<void>;
}

/**
 * Indexes every offer in Postgres, `batchSize` at a time (keyset over id, so memory stays flat).
 * Throws when Elasticsearch rejects any document, naming the first failure.
 */
export async function reindexAll(
  target: ElasticsearchTarget,
  db: PrismaClient,
  options: ReindexOptions = {},
): Promise<{ indexed: number }> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  await ensureIndex(target);
  let indexed = 0;
  let afterId: string | null = null;
  for (;;) {
    const batch = await findOffersBatch(db, afterId, batchSize);
    if (batch.length === 0) break;
    const operations = batch.flatMap((offer) => [
      { index: { _index: target.index, _id: offer.id, ...versionOf(offer) } },
      toDocument(offer),
    ]);
    const response = await target.client.bulk({ operations });
    if (response.errors) {
      // A version conflict means a live write already indexed something newer: fine.
      const failed = response.items.find((item) => item.index?.error && item.index.error.type !== "version_conflict_engine_exception");
      if (failed) throw new Error(`Elasticsearch rejected offer ${failed.index!._id}: ${failed.index!.error!.reason ?? "unknown reason"}`);
    }
    indexed += batch.length;
    afterId = batch.at(-1)!.id;
    await options.onBatch?.(indexed);
    if (batch.length < batchSize) break;
  }
  return { indexed };
}

/** The body `search` sends; exported so tests and tools can see exactly what is asked. */
export function buildSearchBody(request: SearchRequest): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [{ term: { status: "ACTIVE" } }];
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
    filter.push({ geo_distance: { distance: `${request.near.radiusKm}km`, location: { lat: request.near.lat, lon: request.near.lng } } });
  }
  const newest: estypes.SortCombinations[] = [{ createdAt: { order: "desc" } }, { id: { order: "desc" } }];
  let sort: estypes.SortCombinations[];
  switch (request.sort) {
    case "RELEVANCE":
      sort = [{ _score: { order: "desc" } }, ...newest];
      break;
    case "NEWEST":
      sort = newest;
      break;
    case "PRICE_ASC":
      sort = [{ price: { order: "asc" } }, ...newest];
      break;
    case "PRICE_DESC":
      sort = [{ price: { order: "desc" } }, ...newest];
      break;
    case "DISTANCE":
      if (!request.near) throw new Error("DISTANCE sort needs `near` (validated by the resolver)");
      sort = [
        { _geo_distance: { location: { lat: request.near.lat, lon: request.near.lng }, order: "asc", unit: "km", distance_type: "arc" } },
        ...newest,
      ];
      break;
  }
  return {
    // Every term must occur in the title or the description, as with Postgres' websearch_to_tsquery.
    query: {
      bool: {
        must: [{ multi_match: { query: request.query, fields: ["title", "description"], type: "cross_fields", operator: "and" } }],
        filter,
      },
    },
    sort,
    from: request.offset,
    size: request.limit,
    track_total_hits: true,
    _source: false,
  };
}

export interface ElasticsearchSearch extends SearchBackend {
  readonly target: ElasticsearchTarget;
  /**
   * Creates the index with its mapping unless it exists; once it succeeded, resolves at once.
   * Writes wait for it: indexing into a missing index would let Elasticsearch create one with a
   * guessed mapping (no geo_point), breaking geo queries until a rebuild.
   */
  ready(): Promise<void>;
}

export function createElasticsearchSearch(target: ElasticsearchTarget, log: Logger): ElasticsearchSearch {
  const unavailable = (error: unknown) => {
    log.error({ err: error, index: target.index }, "Elasticsearch search failed");
    return serviceUnavailable("Search is unavailable right now (Elasticsearch did not answer); please try again shortly.");
  };
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    while (inFlight.size) await Promise.all(inFlight);
  };
  let indexReady: Promise<void> | null = null;
  const ready = () =>
    (indexReady ??= ensureIndex(target).catch((error: unknown) => {
      indexReady = null;
      throw error;
    }));
  return {
    name: "elasticsearch",
    target,
    ready,
    async search(request: SearchRequest): Promise<SearchHits> {
      let response: estypes.SearchResponse;
      try {
        response = await target.client.search({ index: target.index, ...buildSearchBody(request) });
      } catch (error) {
        throw unavailable(error);
      }
      const total = response.hits.total;
      const count = typeof total === "number" ? total : (total?.value ?? 0);
      return { ids: response.hits.hits.map((hit) => hit._id!).filter(Boolean), total: async () => count };
    },
    offerChanged(offer: OfferRow) {
      const write = (async () => {
        try {
          await ready();
          await indexOffer(target, offer);
        } catch (error) {
          // The index lags until the next write or reindex; the offer itself is safely in Postgres.
          log.warn({ err: error, offerId: offer.id, index: target.index }, "could not index offer in Elasticsearch");
        }
      })();
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
    },
    flush,
    async close() {
      await flush();
      await target.client.close();
    },
  };
}

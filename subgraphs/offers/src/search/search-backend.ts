/**
 * What `searchOffers` needs from a search engine. Both implementations (Postgres full-text,
 * Elasticsearch) answer the same request with the same shape: matching offers' ids in order with
 * the sort values that position them (for keyset cursors), highlighted snippets, and lazily the
 * total, facets and a "did you mean" suggestion. The resolver then loads the rows from Postgres.
 */
import type { Prisma, PrismaClient } from "@agora/platform/database";
import type { OfferRow, OfferStatus } from "../data/offer.repository.js";
import type { OfferSearchSort } from "../generated/graphql.js";
import type { SearchFacets } from "./search-facets.js";
import type { SearchPosition, SortValues } from "./search-cursor.js";

export interface SearchNear {
  lat: number;
  lng: number;
  radiusKm: number;
}

export interface SearchRequest {
  /** As typed, trimmed, at most 200 characters; web-search syntax ("quoted phrase", or, -exclude). "" lists the filtered offers. */
  query: string;
  /** The query's words to match (lower-case, operators and negated words left out); empty when `query` is "". */
  words: string[];
  /** Words the query excludes (`-word`). */
  excluded: string[];
  /** The query's alternatives of terms (see SearchText), for engines that build the query themselves. */
  alternatives: string[][][];
  category: string | null;
  sellerId: string | null;
  priceMin: Prisma.Decimal | null;
  priceMax: Prisma.Decimal | null;
  near: SearchNear | null;
  /** Non-empty; ACTIVE unless the caller may see more. */
  statuses: OfferStatus[];
  /** RELEVANCE only with words, DISTANCE only with `near` (the resolver ensures both). */
  sort: OfferSearchSort;
  /** Where the previous page ended; null for the first page. */
  after: SearchPosition | null;
  /** Page size plus one: the extra hit tells whether a next page exists. */
  limit: number;
}

/** Matched words wrapped in `markStart`/`markEnd` (search-highlight.ts turns them into <mark>). */
export interface RawHighlight {
  title: string;
  description: string;
  /** Only the tags that matched. */
  tags: string[];
}

export interface SearchHit {
  id: string;
  /** The hit's position in the sort order (the cursor of its edge). */
  sortValues: SortValues;
  /** Null when the query has no words (a filtered listing). On demand: only when a client asks for it. */
  highlight(): Promise<RawHighlight | null>;
  /** Distance from `near`, when given. */
  distanceKm: number | null;
}

export interface SearchPage {
  hits: SearchHit[];
  /** Elasticsearch: the point in time the page was read from, carried in cursors. */
  pointInTime?: string | undefined;
  /** Number of matches overall (computed on demand). */
  total(): Promise<number>;
  /** Counts over all matches (computed on demand). */
  facets(): Promise<SearchFacets>;
  /** A query with unknown words replaced by known ones that finds something, or null (computed on demand). */
  suggestion(): Promise<string | null>;
}

export interface ReindexProgress {
  indexed: number;
  total: number;
}

export interface ReindexOptions {
  /** Offers per bulk request. @defaultValue 500 */
  batchSize?: number;
  /** Called after each batch. */
  onProgress?: (progress: ReindexProgress) => void | Promise<void>;
}

export interface ReindexResult {
  engine: SearchBackend["name"];
  indexed: number;
  /** Elasticsearch: the new index now behind the alias. */
  index?: string;
  /** Changes that arrived while the index was rebuilt and were applied before the swap. */
  caughtUp?: number;
}

export interface SearchBackend {
  readonly name: "postgres" | "elasticsearch";
  /** `db` is the request's read client, for backends that query Postgres. */
  search(request: SearchRequest, db: PrismaClient): Promise<SearchPage>;
  /**
   * Applies committed offer writes (from the search outbox) in one bulk: `offers` are the current
   * rows, `removedIds` offers that no longer exist. Postgres search reads the table itself: nothing
   * to do. Throws when the engine refused any of them, so the outbox keeps them for a retry.
   */
  applyChanges(offers: OfferRow[], removedIds: string[]): Promise<void>;
  /** Rebuilds the search index from Postgres without interrupting searches. */
  reindex(db: PrismaClient, options?: ReindexOptions): Promise<ReindexResult>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * What `searchOffers` needs from a search engine: the ids of matching ACTIVE offers in order, one
 * page at a time. Both implementations (Postgres full-text, Elasticsearch) answer the same
 * request; the resolver then loads the rows from Postgres, so clients see the same shape either way.
 */
import type { Prisma, PrismaClient } from "@agora/platform/database";
import type { OfferRow } from "../data/offer.repository.js";
import type { OfferSearchSort } from "../generated/graphql.js";

export interface SearchNear {
  lat: number;
  lng: number;
  radiusKm: number;
}

export interface SearchRequest {
  /** 1–200 characters, web-search syntax ("quoted phrase", or, -exclude). */
  query: string;
  category: string | null;
  sellerId: string | null;
  priceMin: Prisma.Decimal | null;
  priceMax: Prisma.Decimal | null;
  near: SearchNear | null;
  /** DISTANCE only with `near`. */
  sort: OfferSearchSort;
  offset: number;
  /** Page size plus one: the extra hit tells whether a next page exists. */
  limit: number;
}

export interface SearchHits {
  ids: string[];
  /** Number of matches overall; computed lazily where it costs a statement. */
  total: () => Promise<number>;
}

export interface SearchBackend {
  readonly name: "postgres" | "elasticsearch";
  /** `db` is the request's read client, for backends that query Postgres. */
  search(request: SearchRequest, db: PrismaClient): Promise<SearchHits>;
  /**
   * Called after an offer's write has been committed to Postgres. Postgres search reads the
   * table itself, so it has nothing to do; Elasticsearch indexes the new version in the
   * background. Never throws and never waits: a slow or absent index must not slow or fail a
   * mutation (failures are logged; the next write or a reindex catches up).
   */
  offerChanged(offer: OfferRow): void;
  /** Resolves once every write started by `offerChanged` so far has finished. */
  flush(): Promise<void>;
  /** Flushes, then releases connections. */
  close(): Promise<void>;
}

/** Deep pages get slow in both engines and Elasticsearch refuses beyond 10,000 by default. */
export const maxSearchWindow = 10_000;

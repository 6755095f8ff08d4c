/**
 * The offers index: explicit analyzers and a strict mapping, so a document can never make
 * Elasticsearch guess a field type. Postgres stays the source of truth: the index holds every offer
 * (any status, so a status change is one overwrite) and queries filter on status.
 */
import type { estypes } from "@elastic/elasticsearch";
import type { OfferRow } from "../data/offer.repository.js";

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

export const offerSettings: estypes.IndicesIndexSettings = {
  analysis: {
    filter: {
      english_stop: { type: "stop", stopwords: "_english_" },
      english_stemmer: { type: "stemmer", language: "english" },
      english_possessive_stemmer: { type: "stemmer", language: "possessive_english" },
    },
    analyzer: {
      // Matching and ranking: stemmed English, accents folded ("café" finds "cafe").
      offer_text: {
        type: "custom",
        tokenizer: "standard",
        filter: ["english_possessive_stemmer", "lowercase", "asciifolding", "english_stop", "english_stemmer"],
      },
      // The vocabulary "did you mean" suggests from: whole words as written, lower-case.
      offer_words: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
    },
  },
};

export const offerMappings: estypes.MappingTypeMapping = {
  dynamic: "strict",
  properties: {
    id: { type: "keyword" },
    sellerId: { type: "keyword" },
    title: { type: "text", analyzer: "offer_text", copy_to: ["words"] },
    description: { type: "text", analyzer: "offer_text", copy_to: ["words"] },
    tags: { type: "keyword", copy_to: ["words"], fields: { text: { type: "text", analyzer: "offer_text" } } },
    words: { type: "text", analyzer: "offer_words" },
    price: { type: "scaled_float", scaling_factor: 100 },
    currency: { type: "keyword" },
    category: { type: "keyword" },
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

/**
 * Writes are versioned by `updatedAt` (external_gte): when two writes of one offer race (two
 * indexers, or a reindex beside live writes), the older version loses instead of overwriting.
 */
export const versionOf = (offer: OfferRow) => ({ version: offer.updatedAt.getTime(), version_type: "external_gte" as const });

/** A concrete index name behind the alias; sortable, so the newest is recognisable. */
export const versionedIndexName = (alias: string, now = new Date()) => `${alias}-v${now.getTime()}`;

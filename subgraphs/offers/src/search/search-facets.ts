/**
 * Facets of a search: counts over every match of the query and filters (so each facet's counts add
 * up to totalCount). Bucket edges are fixed "round" amounts and distances, the same for both
 * backends, so a frontend can label them once ("under 10", "10 to 25", ...).
 */

export interface CategoryCount {
  category: string;
  count: number;
}

/** From `min` (inclusive) to `max` (exclusive; null for the last bucket), decimal strings. */
export interface PriceBucket {
  min: string;
  max: string | null;
  count: number;
}

/** From `fromKm` (inclusive) to `toKm` (exclusive; the last band ends at the radius, inclusive). */
export interface DistanceBand {
  fromKm: number;
  toKm: number;
  count: number;
}

export interface SearchFacets {
  /** Most frequent first, then by name. */
  categories: CategoryCount[];
  /** Cheapest first; empty buckets left out. */
  price: PriceBucket[];
  /** Nearest first; empty bands left out; empty without `near`. */
  distance: DistanceBand[];
}

/** Upper edges of the price buckets (the last bucket has none). */
export const priceBucketEdges = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;
/** Upper edges of the distance bands in km; bands end at the search radius. */
export const distanceBandEdges = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Edges below the radius: the bands a search within `radiusKm` can have. */
export const distanceEdgesWithin = (radiusKm: number) => distanceBandEdges.filter((edge) => edge < radiusKm);

/** Bucket i covers [edges[i-1], edges[i]); i = 0 starts at 0, i = edges.length is open-ended. */
export function priceBucket(index: number, count: number): PriceBucket {
  const min = index === 0 ? 0 : (priceBucketEdges[index - 1] ?? 0);
  const max = priceBucketEdges[index];
  return { min: min.toFixed(2), max: max === undefined ? null : max.toFixed(2), count };
}

export function distanceBand(index: number, count: number, radiusKm: number): DistanceBand {
  const edges = distanceEdgesWithin(radiusKm);
  return { fromKm: index === 0 ? 0 : (edges[index - 1] ?? 0), toKm: edges[index] ?? radiusKm, count };
}

export function sortCategories(counts: CategoryCount[]): CategoryCount[] {
  return counts.filter((c) => c.count > 0).sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

export const emptyFacets = (): SearchFacets => ({ categories: [], price: [], distance: [] });

/**
 * The default search backend: Postgres full-text search over the offers table itself, so it is
 * always current (the outbox has nothing to apply). Ranking reads the stored weighted document
 * `search_document` (title A, tags B, description C) through its GIN index; query words that are
 * not in the vocabulary are widened to the known words within Elasticsearch's AUTO fuzziness.
 */
import { Prisma, type PrismaClient } from "@agora/platform/database";
import type { OfferRow } from "../data/offer.repository.js";
import type { RawHighlight, SearchBackend, SearchPage, SearchRequest } from "./search-backend.js";
import type { SortValues } from "./search-cursor.js";
import { distanceBand, distanceEdgesWithin, priceBucket, priceBucketEdges, sortCategories, type SearchFacets } from "./search-facets.js";
import { markEnd, markStart } from "./search-highlight.js";
import { rebuildVocabulary, suggestWords, typoExpansions } from "./search-vocabulary.js";

const earthRadiusKm = 6371;

/** Great-circle distance in km from (lat, lng) to the offer, by the haversine formula. */
function distanceKm(lat: number, lng: number): Prisma.Sql {
  return Prisma.sql`(2 * ${earthRadiusKm}::float8 * asin(least(1, sqrt(
      power(sin(radians(o."lat" - ${lat}::float8) / 2), 2)
      + cos(radians(${lat}::float8)) * cos(radians(o."lat")) * power(sin(radians(o."lng" - ${lng}::float8) / 2), 2)
    ))))`;
}

const words = (list: string[]) =>
  Prisma.join(
    list.map((w) => Prisma.sql`websearch_to_tsquery('english', ${w})`),
    " || ",
  );

/**
 * The tsquery of a request. Without typos: the query as typed (web-search syntax). With unknown
 * words: every word or one of its known look-alikes, minus the excluded words. Inline wherever it
 * is used, never a FROM item: as a join input, a generic plan cannot use the GIN index.
 */
function tsQuery(request: SearchRequest, expansions: Map<string, string[]>): Prisma.Sql {
  if (expansions.size === 0) return Prisma.sql`websearch_to_tsquery('english', ${request.query})`;
  const groups = request.words.map((word) => Prisma.sql`(${words([word, ...(expansions.get(word) ?? [])])})`);
  const excluded = request.excluded.map((word) => Prisma.sql`!! websearch_to_tsquery('english', ${word})`);
  return Prisma.sql`(${Prisma.join([...groups, ...excluded], " && ")})`;
}

function filters(request: SearchRequest, query: Prisma.Sql | null): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [Prisma.sql`o."status"::text = ANY(${request.statuses}::text[])`];
  if (query) conditions.push(Prisma.sql`o."search_document" @@ ${query}`);
  if (request.category) conditions.push(Prisma.sql`o."category" = ${request.category}`);
  if (request.sellerId) conditions.push(Prisma.sql`o."seller_id" = ${request.sellerId}::uuid`);
  if (request.priceMin) conditions.push(Prisma.sql`o."price_amount" >= ${request.priceMin.toFixed(2)}::numeric`);
  if (request.priceMax) conditions.push(Prisma.sql`o."price_amount" <= ${request.priceMax.toFixed(2)}::numeric`);
  if (request.near) {
    const { lat, lng, radiusKm } = request.near;
    // A latitude band first: cheap, and it lets the planner drop most rows before trigonometry.
    const band = radiusKm / 111.045;
    conditions.push(Prisma.sql`o."lat" BETWEEN ${lat - band}::float8 AND ${lat + band}::float8`);
    conditions.push(Prisma.sql`${distanceKm(lat, lng)} <= ${radiusKm}::float8`);
  }
  return conditions;
}

/** The sort's primary key as SQL (null for NEWEST) and how it compares. */
function primaryKey(request: SearchRequest, query: Prisma.Sql | null): { sql: Prisma.Sql; ascending: boolean } | null {
  switch (request.sort) {
    case "RELEVANCE":
      if (!query) return null;
      return { sql: Prisma.sql`ts_rank(o."search_document", ${query})`, ascending: false };
    case "NEWEST":
      return null;
    case "PRICE_ASC":
      return { sql: Prisma.sql`o."price_amount"`, ascending: true };
    case "PRICE_DESC":
      return { sql: Prisma.sql`o."price_amount"`, ascending: false };
    case "DISTANCE":
      if (!request.near) throw new Error("DISTANCE sort needs `near` (validated by the resolver)");
      return { sql: distanceKm(request.near.lat, request.near.lng), ascending: true };
  }
}

const castFor = (request: SearchRequest) =>
  request.sort === "RELEVANCE" ? Prisma.sql`real` : request.sort === "DISTANCE" ? Prisma.sql`float8` : Prisma.sql`numeric`;

/** Rows strictly after the cursor in (primary, createdAt DESC, id DESC) order. */
function afterPosition(request: SearchRequest, primary: ReturnType<typeof primaryKey>): Prisma.Sql | null {
  const values = request.after?.values;
  if (!values) return null;
  if (!primary || values.length === 2) {
    const [createdAt, id] = values.length === 2 ? values : [values[1], values[2]];
    return Prisma.sql`(o."created_at", o."id") < (${createdAt}::timestamptz, ${id}::uuid)`;
  }
  const [key, createdAt, id] = values;
  const value = Prisma.sql`${key}::${castFor(request)}`;
  if (!primary.ascending) return Prisma.sql`(${primary.sql}, o."created_at", o."id") < (${value}, ${createdAt}::timestamptz, ${id}::uuid)`;
  return Prisma.sql`(${primary.sql} > ${value} OR (${primary.sql} = ${value} AND (o."created_at", o."id") < (${createdAt}::timestamptz, ${id}::uuid)))`;
}

interface PageRow {
  id: string;
  primary: number | string | Prisma.Decimal | null;
  createdAt: Date;
  distanceKm: number | null;
}

function sortValuesOf(request: SearchRequest, row: PageRow, hasPrimary: boolean): SortValues {
  const createdAt = row.createdAt.toISOString();
  if (!hasPrimary || row.primary === null) return [createdAt, row.id];
  const primary =
    request.sort === "PRICE_ASC" || request.sort === "PRICE_DESC"
      ? new Prisma.Decimal(String(row.primary)).toFixed(2)
      : Number(row.primary);
  return [primary, createdAt, row.id];
}

const titleOptions = `HighlightAll=true, StartSel=${markStart}, StopSel=${markEnd}`;
const descriptionOptions = `MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … ", StartSel=${markStart}, StopSel=${markEnd}`;

export function createPostgresSearch(): SearchBackend {
  return {
    name: "postgres",
    async search(request: SearchRequest, db: PrismaClient): Promise<SearchPage> {
      const expansions = request.words.length ? await typoExpansions(db, request.words) : new Map<string, string[]>();
      const query = request.words.length ? tsQuery(request, expansions) : null;
      const conditions = filters(request, query);
      const where = Prisma.join(conditions, " AND ");
      const primary = primaryKey(request, query);
      const after = afterPosition(request, primary);
      const order = primary
        ? Prisma.sql`${primary.sql} ${primary.ascending ? Prisma.sql`ASC` : Prisma.sql`DESC`}, o."created_at" DESC, o."id" DESC`
        : Prisma.sql`o."created_at" DESC, o."id" DESC`;
      const distance = request.near ? distanceKm(request.near.lat, request.near.lng) : Prisma.sql`NULL::float8`;
      const rows = await db.$queryRaw<PageRow[]>`
        SELECT o."id", ${primary?.sql ?? Prisma.sql`NULL`} AS "primary", o."created_at" AS "createdAt", ${distance} AS "distanceKm"
        FROM "offers"."offers" o
        WHERE ${where} ${after ? Prisma.sql`AND ${after}` : Prisma.empty}
        ORDER BY ${order}
        LIMIT ${request.limit}`;

      // On demand and once for the page: ts_headline parses the text again, far too slow for every match.
      let highlights: Promise<Map<string, RawHighlight>> | undefined;
      const highlightsOfPage = () =>
        (highlights ??= (async () => {
          const marked = await db.$queryRaw<{ id: string; title: string; description: string; tags: string[] | null }[]>`
            SELECT o."id", ts_headline('english', o."title", ${query}, ${titleOptions}) AS "title",
                   ts_headline('english', o."description", ${query}, ${descriptionOptions}) AS "description",
                   ARRAY(SELECT h FROM (SELECT ts_headline('english', t, ${query}, ${titleOptions}) AS h FROM unnest(o."tags") AS t) marked
                         WHERE strpos(h, ${markStart}) > 0) AS "tags"
            FROM "offers"."offers" o WHERE o."id" = ANY(${rows.map((r) => r.id)}::uuid[])`;
          return new Map(marked.map((m) => [m.id, { title: m.title, description: m.description, tags: m.tags ?? [] }]));
        })());

      let total: Promise<number> | undefined;
      const count = () =>
        (total ??= db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS "count" FROM "offers"."offers" o WHERE ${where}`.then(
          (r) => r[0]?.count ?? 0,
        ));
      return {
        hits: rows.map((row) => ({
          id: row.id,
          sortValues: sortValuesOf(request, row, primary !== null),
          highlight: async () => (query ? ((await highlightsOfPage()).get(row.id) ?? null) : null),
          distanceKm: row.distanceKm,
        })),
        total: count,
        facets: () => facets(db, request, where),
        async suggestion() {
          if (!request.words.length || (await count()) > 0) return null;
          const suggested = await suggestWords(db, request.words);
          if (!suggested) return null;
          // Only suggest what finds something under the same filters.
          const retry: SearchRequest = {
            ...request,
            query: suggested.join(" "),
            words: suggested,
            excluded: [],
            alternatives: [suggested.map((w) => [w])],
          };
          const retryWhere = Prisma.join(filters(retry, tsQuery(retry, new Map())), " AND ");
          const [found] = await db.$queryRaw<{ found: boolean }[]>`
            SELECT EXISTS (SELECT 1 FROM "offers"."offers" o WHERE ${retryWhere}) AS "found"`;
          return found?.found ? retry.query : null;
        },
      };
    },
    async applyChanges(_offers: OfferRow[], _removedIds: string[]) {
      // The table is the index.
    },
    async reindex(db, options = {}) {
      // Rebuilt side by side and swapped in, without blocking writes (cannot run in a transaction).
      await db.$executeRawUnsafe(`REINDEX INDEX CONCURRENTLY "offers"."offers_search_document_idx"`);
      await db.$executeRawUnsafe(`REINDEX INDEX CONCURRENTLY "offers"."search_words_trgm_idx"`);
      await rebuildVocabulary(db);
      const [row] = await db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS "count" FROM "offers"."offers"`;
      const indexed = row?.count ?? 0;
      await options.onProgress?.({ indexed, total: indexed });
      return { engine: "postgres", indexed };
    },
    async close() {},
  };
}

/** Category, price and distance counts over every match, in one statement (grouping sets). */
async function facets(db: PrismaClient, request: SearchRequest, where: Prisma.Sql): Promise<SearchFacets> {
  const edges = request.near ? distanceEdgesWithin(request.near.radiusKm) : [];
  const band = !request.near
    ? Prisma.sql`NULL::int`
    : edges.length === 0
      ? Prisma.sql`0`
      : Prisma.sql`width_bucket(${distanceKm(request.near.lat, request.near.lng)}, ${edges}::float8[])`;
  const rows = await db.$queryRaw<{ kind: string; category: string | null; bucket: number | null; count: number }[]>`
    SELECT CASE WHEN grouping(f."category") = 0 THEN 'category' WHEN grouping(f."price") = 0 THEN 'price' ELSE 'distance' END AS "kind",
           f."category", coalesce(f."price", f."band") AS "bucket", count(*)::int AS "count"
    FROM (
      SELECT o."category", width_bucket(o."price_amount", ${[...priceBucketEdges]}::numeric[]) AS "price", ${band} AS "band"
      FROM "offers"."offers" o WHERE ${where}
    ) f
    GROUP BY GROUPING SETS ((f."category"), (f."price"), (f."band"))`;
  const result: SearchFacets = { categories: [], price: [], distance: [] };
  for (const row of rows) {
    if (row.kind === "category" && row.category !== null) result.categories.push({ category: row.category, count: row.count });
    else if (row.kind === "price" && row.bucket !== null) result.price.push(priceBucket(row.bucket, row.count));
    else if (row.kind === "distance" && row.bucket !== null && request.near)
      result.distance.push(distanceBand(row.bucket, row.count, request.near.radiusKm));
  }
  result.categories = sortCategories(result.categories);
  result.price.sort((a, b) => Number(a.min) - Number(b.min));
  result.distance.sort((a, b) => a.fromKm - b.fromKm);
  return result;
}

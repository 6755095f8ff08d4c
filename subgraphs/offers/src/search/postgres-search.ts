/**
 * The default search backend: Postgres full-text search over the offers table itself, so it is
 * always current. The tsvector expression is exactly the one of the GIN index `offers_search_idx`
 * (init migration); any difference in it and Postgres would scan the table instead.
 */
import { Prisma, type PrismaClient } from "@agora/platform/database";
import type { SearchBackend, SearchHits, SearchRequest } from "./search-backend.js";

const earthRadiusKm = 6371;

const document = Prisma.sql`to_tsvector('english', o."title" || ' ' || o."description")`;

/** Great-circle distance in km from (lat, lng) to the offer, by the haversine formula. */
function distanceKm(lat: number, lng: number): Prisma.Sql {
  return Prisma.sql`(2 * ${earthRadiusKm}::float8 * asin(least(1, sqrt(
      power(sin(radians(o."lat" - ${lat}::float8) / 2), 2)
      + cos(radians(${lat}::float8)) * cos(radians(o."lat")) * power(sin(radians(o."lng" - ${lng}::float8) / 2), 2)
    ))))`;
}

/**
 * Inline in WHERE, not a FROM item: as a join input, a generic plan (parameter unknown) cannot use
 * offers_search_idx and scans the whole table; inline it can.
 */
const tsQuery = (query: string) => Prisma.sql`websearch_to_tsquery('english', ${query})`;

function whereClause(request: SearchRequest): Prisma.Sql {
  const conditions: Prisma.Sql[] = [Prisma.sql`${document} @@ ${tsQuery(request.query)}`, Prisma.sql`o."status" = 'ACTIVE'`];
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
  return Prisma.join(conditions, " AND ");
}

function orderClause(request: SearchRequest): Prisma.Sql {
  const newest = Prisma.sql`o."created_at" DESC, o."id" DESC`;
  switch (request.sort) {
    case "RELEVANCE":
      return Prisma.sql`ts_rank(${document}, ${tsQuery(request.query)}) DESC, ${newest}`;
    case "NEWEST":
      return newest;
    case "PRICE_ASC":
      return Prisma.sql`o."price_amount" ASC, ${newest}`;
    case "PRICE_DESC":
      return Prisma.sql`o."price_amount" DESC, ${newest}`;
    case "DISTANCE": {
      if (!request.near) throw new Error("DISTANCE sort needs `near` (validated by the resolver)");
      return Prisma.sql`${distanceKm(request.near.lat, request.near.lng)} ASC, ${newest}`;
    }
  }
}

export function createPostgresSearch(): SearchBackend {
  return {
    name: "postgres",
    async search(request: SearchRequest, client: PrismaClient): Promise<SearchHits> {
      const from = Prisma.sql`FROM "offers"."offers" o`;
      const where = whereClause(request);
      const rows = await client.$queryRaw<{ id: string }[]>`
        SELECT o."id" ${from} WHERE ${where}
        ORDER BY ${orderClause(request)}
        LIMIT ${request.limit} OFFSET ${request.offset}`;
      let total: Promise<number> | undefined;
      return {
        ids: rows.map((r) => r.id),
        total: () =>
          (total ??= client.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS "count" ${from} WHERE ${where}`.then((r) =>
            Number(r[0]?.count ?? 0),
          )),
      };
    },
    offerChanged() {},
    async flush() {},
    async close() {},
  };
}

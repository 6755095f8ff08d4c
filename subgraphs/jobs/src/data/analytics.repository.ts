/**
 * The one owner of the analytics tables, jobs.analytics_events (raw events) and
 * jobs.offer_daily_stats (their daily roll-up): the jobs subgraph reads the roll-up for
 * `Offer.stats`; the analytics worker stores events, rolls them up and builds reports through
 * this module's public entry (`@agora/jobs/analytics`).
 */
import { Prisma, type Db, type PrismaClient } from "@agora/platform/database";

export interface DayRange {
  /** First UTC day (midnight). */
  firstDay: Date;
  /** Last UTC day (midnight), inclusive. */
  lastDay: Date;
}

export interface DailyStatsRow {
  offerId: string;
  day: Date;
  views: number;
  searchResults: number;
  uniqueViewers: number;
}

export interface NewAnalyticsEvent {
  type: Db.AnalyticsEventType;
  offerId: string | null;
  userId: string | null;
  query: string | null;
  occurredAt: Date;
}

/** A report's range: `from` inclusive, `to` exclusive; `sellerId` limits it to one seller's offers. */
export interface ReportScope {
  from: Date;
  to: Date;
  sellerId?: string | undefined;
}

export interface ReportTotals {
  events: number;
  views: number;
  searches: number;
  uniqueUsers: number;
  offers: number;
}

export interface OfferFigures {
  offerId: string;
  views: number;
  searchResults: number;
  uniqueViewers: number;
}

/** The stats of many offers over one range in ONE query. */
export async function findDailyStats(db: PrismaClient, offerIds: readonly string[], range: DayRange): Promise<DailyStatsRow[]> {
  return db.offerDailyStats.findMany({
    where: { offerId: { in: [...offerIds] }, day: { gte: range.firstDay, lte: range.lastDay } },
    select: { offerId: true, day: true, views: true, searchResults: true, uniqueViewers: true },
    orderBy: [{ offerId: "asc" }, { day: "asc" }],
  });
}

/** Stores a batch of events in one statement. */
export async function insertAnalyticsEvents(db: PrismaClient, events: readonly NewAnalyticsEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const { count } = await db.analyticsEvent.createMany({ data: [...events] });
  return count;
}

/**
 * Recomputes the roll-up for today and yesterday (UTC) from the raw events. A full recomputation
 * per (offer, day) with INSERT ... ON CONFLICT DO UPDATE is idempotent: running it twice, or late,
 * gives the same rows.
 */
export async function rollUpDailyStats(db: PrismaClient): Promise<{ days: number; rows: number }> {
  const rows = await db.$executeRaw`
    INSERT INTO jobs.offer_daily_stats (offer_id, day, views, search_results, unique_viewers, updated_at)
    SELECT offer_id,
           (occurred_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE type = 'OFFER_VIEW')::int,
           count(*) FILTER (WHERE type = 'SEARCH')::int,
           count(DISTINCT user_id) FILTER (WHERE type = 'OFFER_VIEW')::int,
           now()
      FROM jobs.analytics_events
     WHERE offer_id IS NOT NULL
       AND occurred_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day') AT TIME ZONE 'UTC'
     GROUP BY 1, 2
    ON CONFLICT (offer_id, day) DO UPDATE
       SET views = EXCLUDED.views, search_results = EXCLUDED.search_results,
           unique_viewers = EXCLUDED.unique_viewers, updated_at = now()`;
  return { days: 2, rows };
}

// The seller scope reads offers.offers: a cross-schema read that DESIGN.md's boundaries rule out,
// kept as it was until the report gets the seller's offer ids from the offers subgraph.
const sellerScope = (scope: ReportScope) =>
  scope.sellerId ? Prisma.sql`AND offer_id IN (SELECT id FROM offers.offers WHERE seller_id = ${scope.sellerId}::uuid)` : Prisma.empty;

/** Totals over the range. */
export async function reportTotals(db: PrismaClient, scope: ReportScope): Promise<ReportTotals> {
  const [row] = await db.$queryRaw<{ events: number; views: number; searches: number; unique_users: number; offers: number }[]>`
    SELECT count(*)::int AS events,
           count(*) FILTER (WHERE type = 'OFFER_VIEW')::int AS views,
           count(*) FILTER (WHERE type = 'SEARCH')::int AS searches,
           count(DISTINCT user_id)::int AS unique_users,
           count(DISTINCT offer_id)::int AS offers
      FROM jobs.analytics_events
     WHERE occurred_at >= ${scope.from} AND occurred_at < ${scope.to} ${sellerScope(scope)}`;
  return {
    events: row?.events ?? 0,
    views: row?.views ?? 0,
    searches: row?.searches ?? 0,
    uniqueUsers: row?.unique_users ?? 0,
    offers: row?.offers ?? 0,
  };
}

/** Every offer's figures over the range, most viewed first. */
export async function reportOfferFigures(db: PrismaClient, scope: ReportScope): Promise<OfferFigures[]> {
  const rows = await db.$queryRaw<{ offer_id: string; views: number; search_results: number; unique_viewers: number }[]>`
    SELECT offer_id::text AS offer_id,
           count(*) FILTER (WHERE type = 'OFFER_VIEW')::int AS views,
           count(*) FILTER (WHERE type = 'SEARCH')::int AS search_results,
           count(DISTINCT user_id) FILTER (WHERE type = 'OFFER_VIEW')::int AS unique_viewers
      FROM jobs.analytics_events
     WHERE occurred_at >= ${scope.from} AND occurred_at < ${scope.to} AND offer_id IS NOT NULL ${sellerScope(scope)}
     GROUP BY offer_id
     ORDER BY views DESC, search_results DESC, offer_id`;
  return rows.map((r) => ({ offerId: r.offer_id, views: r.views, searchResults: r.search_results, uniqueViewers: r.unique_viewers }));
}

/**
 * ANALYTICS_REPORT: `{ from, to }` (ISO dates or date-times; a date-only `to` includes that day)
 * becomes a JSON summary in the job result (totals, top offers) and a CSV of every offer's
 * figures at `reports/<jobId>.csv` under STORAGE_DIR, served by the jobs subgraph under /files/.
 */
import { Prisma, reportRangeEnd, resolveStoragePath, storagePaths, writeFileAtomic } from "@agora/platform";
import { z } from "zod";
import { unrecoverable, type JobHandler } from "../platform-job.js";
import { parseInput } from "./input.js";

const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO date or date-time");

/** `sellerId`: only that seller's offers (set by the jobs service for every non-admin request). */
const reportInput = z.object({
  from: instant,
  to: instant,
  top: z.number().int().min(1).max(100).default(10),
  sellerId: z.string().uuid().optional(),
});

interface OfferFigures {
  offer_id: string;
  views: number;
  search_results: number;
  unique_viewers: number;
}

interface Totals {
  events: number;
  views: number;
  searches: number;
  unique_users: number;
  offers: number;
}

export function reportRange(from: string, to: string): { from: Date; to: Date } {
  const start = new Date(from);
  const end = reportRangeEnd(to);
  if (!(start < end)) throw unrecoverable(`Invalid job input: from (${from}) must be before to (${to})`);
  return { from: start, to: end };
}

export const analyticsReport: JobHandler = async (ctx) => {
  const input = parseInput(reportInput, ctx.row.input);
  const { from, to } = reportRange(input.from, input.to);
  const prisma = ctx.deps.prisma;
  const scope = input.sellerId
    ? Prisma.sql`AND offer_id IN (SELECT id FROM offers.offers WHERE seller_id = ${input.sellerId}::uuid)`
    : Prisma.empty;

  const [totals] = await prisma.$queryRaw<Totals[]>`
    SELECT count(*)::int AS events,
           count(*) FILTER (WHERE type = 'OFFER_VIEW')::int AS views,
           count(*) FILTER (WHERE type = 'SEARCH')::int AS searches,
           count(DISTINCT user_id)::int AS unique_users,
           count(DISTINCT offer_id)::int AS offers
      FROM jobs.analytics_events
     WHERE occurred_at >= ${from} AND occurred_at < ${to} ${scope}`;
  ctx.progress(30);
  await ctx.throwIfCancelled();

  const offers = await prisma.$queryRaw<OfferFigures[]>`
    SELECT offer_id::text AS offer_id,
           count(*) FILTER (WHERE type = 'OFFER_VIEW')::int AS views,
           count(*) FILTER (WHERE type = 'SEARCH')::int AS search_results,
           count(DISTINCT user_id) FILTER (WHERE type = 'OFFER_VIEW')::int AS unique_viewers
      FROM jobs.analytics_events
     WHERE occurred_at >= ${from} AND occurred_at < ${to} AND offer_id IS NOT NULL ${scope}
     GROUP BY offer_id
     ORDER BY views DESC, search_results DESC, offer_id`;
  ctx.progress(70);
  await ctx.throwIfCancelled();

  const csvPath = storagePaths.report(ctx.row.id);
  const lines = [
    "offer_id,views,search_results,unique_viewers",
    ...offers.map((o) => `${o.offer_id},${o.views},${o.search_results},${o.unique_viewers}`),
  ];
  await writeFileAtomic(resolveStoragePath(ctx.deps.config.STORAGE_DIR, csvPath), `${lines.join("\n")}\n`);

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    totals: {
      events: totals?.events ?? 0,
      views: totals?.views ?? 0,
      searches: totals?.searches ?? 0,
      uniqueUsers: totals?.unique_users ?? 0,
      offers: totals?.offers ?? 0,
    },
    topOffers: offers
      .slice(0, input.top)
      .map((o) => ({ offerId: o.offer_id, views: o.views, searchResults: o.search_results, uniqueViewers: o.unique_viewers })),
    csvPath,
    rows: offers.length,
  };
};

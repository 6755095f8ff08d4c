/**
 * ANALYTICS_ROLLUP (scheduled, or requested as a job): recomputes OfferDailyStats for today and
 * yesterday (UTC) from the raw events. A full recomputation per (offer, day) with
 * INSERT ... ON CONFLICT DO UPDATE is idempotent: running it twice, or late, gives the same rows.
 */
import type { PrismaClient } from "@agora/platform";
import type { JobHandler } from "../platform-job.js";

export async function rollUpDailyStats(prisma: PrismaClient): Promise<{ days: number; rows: number }> {
  const rows = await prisma.$executeRaw`
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

export const analyticsRollup: JobHandler = async (ctx) => rollUpDailyStats(ctx.deps.prisma);

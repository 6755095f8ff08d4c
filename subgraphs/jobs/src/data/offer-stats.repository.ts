/** Data access for jobs.offer_daily_stats (the analytics worker's daily roll-up). */
import type { PrismaClient } from "@agora/platform";

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

/** The stats of many offers over one range in ONE query. */
export async function findDailyStats(db: PrismaClient, offerIds: readonly string[], range: DayRange): Promise<DailyStatsRow[]> {
  return db.offerDailyStats.findMany({
    where: { offerId: { in: [...offerIds] }, day: { gte: range.firstDay, lte: range.lastDay } },
    select: { offerId: true, day: true, views: true, searchResults: true, uniqueViewers: true },
    orderBy: [{ offerId: "asc" }, { day: "asc" }],
  });
}

/** Per-request DataLoaders: every entity and relationship fetch is batched into one query. */
import DataLoader from "dataloader";
import { isUuid } from "@agora/platform";
import { type PrismaClient } from "@agora/platform/database";
import type { JobStore } from "@agora/platform/job-store";
import { findImagesByOfferIds } from "./offer-images.repository.js";
import { findDailyStats, type DayRange } from "./analytics.repository.js";
import type { JobRow, OfferDayStatsModel, OfferImageRow } from "./models.js";

export interface OfferStatsKey {
  offerId: string;
  range: DayRange;
}

const dayKey = (day: Date) => day.toISOString().slice(0, 10);

/** Every UTC day of the range, with zeros where the roll-up has no row. */
function fillDays(range: DayRange, rows: Map<string, OfferDayStatsModel>): OfferDayStatsModel[] {
  const days: OfferDayStatsModel[] = [];
  for (let t = range.firstDay.getTime(); t <= range.lastDay.getTime(); t += 86_400_000) {
    const day = dayKey(new Date(t));
    days.push(rows.get(day) ?? { day, views: 0, searchResults: 0, uniqueViewers: 0 });
  }
  return days;
}

/** `read` is asked per batch: a mutation switches this request's reads to the primary. */
export function createLoaders(read: () => PrismaClient, jobs: JobStore) {
  return {
    jobById: new DataLoader<string, JobRow | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await jobs.findMany(valid, read()) : [];
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),

    imagesByOfferId: new DataLoader<string, OfferImageRow[]>(async (offerIds) => {
      const valid = offerIds.filter(isUuid).map((id) => id.toLowerCase());
      const byOffer = valid.length ? await findImagesByOfferIds(read(), valid) : new Map<string, OfferImageRow[]>();
      return offerIds.map((id) => byOffer.get(id.toLowerCase()) ?? []);
    }),

    /** One query per distinct range (in practice one per request): all offers at once. */
    statsByOffer: new DataLoader<OfferStatsKey, OfferDayStatsModel[], string>(
      async (keys) => {
        const ranges = new Map<string, { range: DayRange; offerIds: Set<string> }>();
        for (const key of keys) {
          const rangeKey = `${dayKey(key.range.firstDay)}/${dayKey(key.range.lastDay)}`;
          const entry = ranges.get(rangeKey) ?? { range: key.range, offerIds: new Set<string>() };
          if (isUuid(key.offerId)) entry.offerIds.add(key.offerId.toLowerCase());
          ranges.set(rangeKey, entry);
        }
        const found = new Map<string, Map<string, OfferDayStatsModel>>();
        await Promise.all(
          [...ranges.entries()].map(async ([rangeKey, { range, offerIds }]) => {
            if (offerIds.size === 0) return;
            for (const row of await findDailyStats(read(), [...offerIds], range)) {
              const key = `${row.offerId}|${rangeKey}`;
              const days = found.get(key) ?? new Map<string, OfferDayStatsModel>();
              days.set(dayKey(row.day), {
                day: dayKey(row.day),
                views: row.views,
                searchResults: row.searchResults,
                uniqueViewers: row.uniqueViewers,
              });
              found.set(key, days);
            }
          }),
        );
        return keys.map((key) => {
          const rangeKey = `${dayKey(key.range.firstDay)}/${dayKey(key.range.lastDay)}`;
          return fillDays(key.range, found.get(`${key.offerId.toLowerCase()}|${rangeKey}`) ?? new Map());
        });
      },
      { cacheKeyFn: (key) => `${key.offerId}|${dayKey(key.range.firstDay)}/${dayKey(key.range.lastDay)}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

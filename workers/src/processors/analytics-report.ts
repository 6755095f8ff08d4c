/**
 * ANALYTICS_REPORT: `{ from, to }` (ISO dates or date-times; a date-only `to` includes that day)
 * becomes a JSON summary in the job result (totals, top offers) and a CSV of every offer's
 * figures at `reports/<jobId>.csv` under STORAGE_DIR, served by the jobs subgraph under /files/.
 */
import { reportOfferFigures, reportTotals } from "@agora/jobs/analytics";
import { reportRangeEnd } from "@agora/platform/queues";
import { resolveStoragePath, storagePaths, writeFileAtomic } from "@agora/platform/storage";
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

export function reportRange(from: string, to: string): { from: Date; to: Date } {
  const start = new Date(from);
  const end = reportRangeEnd(to);
  if (!(start < end)) throw unrecoverable(`Invalid job input: from (${from}) must be before to (${to})`);
  return { from: start, to: end };
}

export const analyticsReport: JobHandler = async (ctx) => {
  const input = parseInput(reportInput, ctx.row.input);
  const { from, to } = reportRange(input.from, input.to);
  const scope = { from, to, sellerId: input.sellerId };
  const totals = await reportTotals(ctx.deps.prisma, scope);
  ctx.progress(30);
  await ctx.throwIfCancelled();

  const offers = await reportOfferFigures(ctx.deps.prisma, scope);
  ctx.progress(70);
  await ctx.throwIfCancelled();

  const csvPath = storagePaths.report(ctx.row.id);
  const lines = [
    "offer_id,views,search_results,unique_viewers",
    ...offers.map((o) => `${o.offerId},${o.views},${o.searchResults},${o.uniqueViewers}`),
  ];
  await writeFileAtomic(resolveStoragePath(ctx.deps.config.STORAGE_DIR, csvPath), `${lines.join("\n")}\n`);

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    totals,
    topOffers: offers.slice(0, input.top),
    csvPath,
    rows: offers.length,
  };
};

/**
 * ANALYTICS_ROLLUP (scheduled, or requested as a job): recomputes OfferDailyStats for today and
 * yesterday (UTC) from the raw events, idempotently (see `rollUpDailyStats` in the jobs package,
 * the owner of the analytics tables).
 */
import { rollUpDailyStats } from "@agora/jobs/analytics";
import type { JobHandler } from "../platform-job.js";

export const analyticsRollup: JobHandler = async (ctx) => rollUpDailyStats(ctx.deps.prisma);

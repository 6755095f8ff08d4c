/**
 * SEARCH_REINDEX. Search runs on Postgres full-text by default, whose GIN index Postgres keeps
 * current on every write: there is nothing to rebuild, so the job reports what is searchable.
 * With Elasticsearch (ELASTICSEARCH_URL) the offers subgraph owns the index mapping; this is where
 * its bulk reindex is to be wired (not done yet: the offers subgraph has no reindex entry point).
 */
import type { JobHandler } from "../platform-job.js";

export const searchIndex: JobHandler = async (ctx) => {
  const [row] = await ctx.deps.prisma.$queryRaw<
    { active: number }[]
  >`SELECT count(*)::int AS active FROM offers.offers WHERE status = 'ACTIVE'`;
  return { engine: "postgres", reindexed: false, activeOffers: row?.active ?? 0 };
};

/**
 * SEARCH_REINDEX: rebuilds the offers search index without interrupting searches, reporting
 * progress on the job. Elasticsearch: a new versioned index filled from Postgres, the changes that
 * arrived meanwhile applied, the alias swapped, the old index dropped. Postgres: REINDEX
 * CONCURRENTLY of the search indexes and a rebuilt vocabulary. The work itself is the offers
 * subgraph's (`@agora/offers/search`); this handler only connects it to the job row.
 */
import type { JobHandler } from "../platform-job.js";

export const searchIndex: JobHandler = async (ctx) => {
  const started = Date.now();
  const result = await ctx.deps.search.reindex(ctx.deps.prisma, {
    onProgress: async ({ indexed, total }) => {
      ctx.progress(total > 0 ? (indexed / total) * 99 : 99);
      await ctx.throwIfCancelled();
    },
  });
  return { ...result, tookMs: Date.now() - started };
};

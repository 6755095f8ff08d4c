/**
 * `reindexOffers`: queues a SEARCH_REINDEX platform job (a jobs.jobs row inserted through the
 * platform's queue contract; the jobs service relays it to the search-index queue). The reindex
 * itself runs in a worker: services never do heavy work inline.
 */
import { queuePlatformJob, type PrismaClient } from "@agora/platform";

/** A Job entity as this subgraph knows it: only the key (the jobs subgraph resolves the rest). */
export interface JobRef {
  __typename?: "Job";
  id: string;
}

export async function requestReindex(db: PrismaClient, requestedBy: string): Promise<JobRef> {
  const id = await db.$transaction((tx) =>
    queuePlatformJob(tx, { type: "SEARCH_REINDEX", input: { scope: "offers" }, requestedBy, priority: 3, maxAttempts: 3 }),
  );
  return { __typename: "Job", id };
}

/**
 * `reindexOffers`: queues a SEARCH_REINDEX platform job (a jobs.jobs row inserted through the
 * table's owner, `@agora/platform/job-store`; the jobs service's outbox relay queues it). The reindex
 * itself runs in a worker: services never do heavy work inline.
 */
import { type PrismaClient } from "@agora/platform/database";
import { insertJobs } from "@agora/platform/job-store";

/** A Job entity as this subgraph knows it: only the key (the jobs subgraph resolves the rest). */
export interface JobRef {
  __typename?: "Job";
  id: string;
}

export async function requestReindex(db: PrismaClient, requestedBy: string): Promise<JobRef> {
  const [row] = await insertJobs(db, [{ type: "SEARCH_REINDEX", input: { scope: "offers" }, requestedBy, priority: 3, maxAttempts: 3 }]);
  if (!row) throw new Error("The SEARCH_REINDEX job was not inserted.");
  return { __typename: "Job", id: row.id };
}

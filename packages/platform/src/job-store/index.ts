/**
 * `@agora/platform/job-store`: the one owner of jobs.jobs (job-store.ts) and the state machine its
 * guarded updates follow (job-lifecycle.ts). A subpath of its own, not the barrel, so processes
 * that never touch jobs (the gateway) do not load it.
 */
export { allowsTransition, finishedJobStatuses, jobTransitions, type JobStatus, type JobTransition } from "./job-lifecycle.js";
export {
  insertJobs,
  JobStore,
  type JobListFilter,
  type JobRow,
  type JobStoreClient,
  type JobStoreOptions,
  type NewJob,
  type OutboxBatchResult,
  type OutboxEntry,
  type StartedJob,
} from "./job-store.js";
export { readOutboxStats, type OutboxStats } from "./job-store.js";
export { registerOutboxMetrics, type OutboxMetricsOptions } from "./outbox-metrics.js";

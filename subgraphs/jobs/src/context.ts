import type { SubgraphBaseContext } from "@agora/platform/subgraph";
import type { JobStore } from "@agora/platform/job-store";
import { createLoaders, type Loaders } from "./data/loaders.js";
import type { LivePublisher } from "@agora/platform/live-events";
import type { NotificationStore } from "./data/notifications.repository.js";
import type { JobQueues } from "./queue/job-queues.js";
import type { JobsSettings } from "./settings.js";

/** What the resolvers need beyond the database: the owner of jobs.jobs (which wakes the relay after commits), the queues. */
export interface JobsServices {
  settings: JobsSettings;
  jobs: JobStore;
  queues: JobQueues;
  notifications: NotificationStore;
  /** Job events of transitions made here (cancel, retry), published after they commit. */
  live: LivePublisher;
}

export type Context = SubgraphBaseContext & { loaders: Loaders; services: JobsServices };

export function createContext(base: SubgraphBaseContext, services: JobsServices): Context {
  return { ...base, loaders: createLoaders(() => base.db.read, services.jobs), services };
}

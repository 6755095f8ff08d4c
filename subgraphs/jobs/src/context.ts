import type { SubgraphBaseContext } from "@agora/platform";
import type { LivePublisher } from "@agora/platform/live-events";
import { createLoaders, type Loaders } from "./data/loaders.js";
import type { NotificationStore } from "./data/notifications.repository.js";
import type { OutboxRelay } from "./outbox/relay.js";
import type { JobQueues } from "./queue/job-queues.js";
import type { JobsSettings } from "./settings.js";

/** What the resolvers need beyond the database: the relay to trigger after commits, the queues. */
export interface JobsServices {
  settings: JobsSettings;
  relay: OutboxRelay;
  queues: JobQueues;
  notifications: NotificationStore;
  /** Job events of transitions made here (cancel, retry), published after they commit. */
  live: LivePublisher;
}

export type Context = SubgraphBaseContext & { loaders: Loaders; services: JobsServices };

export function createContext(base: SubgraphBaseContext, services: JobsServices): Context {
  return { ...base, loaders: createLoaders(() => base.db.read), services };
}

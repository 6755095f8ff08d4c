/**
 * Builds the jobs subgraph: GraphQL (jobs, offer images and stats) plus the REST routes beside it
 * (POST /upload, GET /jobs/:id, GET /files/..., GET /admin/queues/... with bull-board), the BullMQ queues and the
 * outbox relay that feeds them.
 */
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { createRedis, registerDependencyProbe } from "@agora/platform";
import { createSubgraphServer, type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import { JobStore, registerOutboxMetrics } from "@agora/platform/job-store";
import { createContext, type JobsServices } from "./context.js";
import { OutboxRelay } from "./outbox/relay.js";
import { JobQueues } from "./queue/job-queues.js";
import { resolvers } from "./resolvers/index.js";
import { createAdminQueuesRoute } from "./rest/admin-queues.route.js";
import { createFilesRoute } from "./rest/files.route.js";
import { createJobStatusRoute, jobStatusPrefix } from "./rest/job-status.route.js";
import { createUploadRoute } from "./rest/upload.route.js";
import type { JobsSettings } from "./settings.js";
import { filesRoutePrefix } from "./storage/public-files.js";

export const typeDefs = parse(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));

export interface JobsSubgraph extends SubgraphServer {
  jobs: JobStore;
  relay: OutboxRelay;
  queues: JobQueues;
}

export async function createJobsSubgraph(runtime: SubgraphRuntime, settings: JobsSettings): Promise<JobsSubgraph> {
  const queues = new JobQueues({ redisUrl: settings.redisUrl, prefix: settings.bullPrefix, log: runtime.log });
  // Every commit of a new or retried job wakes the relay at once; its poll catches the rest.
  const jobs: JobStore = new JobStore({ db: runtime.db.primary, wake: () => relay.trigger() });
  const relay = new OutboxRelay({
    jobs,
    queues,
    log: runtime.log.child({ component: "outbox-relay" }),
    backoffMs: settings.backoffMs,
    pollMs: settings.outboxPollMs,
    redisTimeoutMs: settings.outboxRedisTimeoutMs,
  });
  // Notifications are read from Redis (live-events); a command connection of its own, failing fast.
  const notificationRedis = createRedis(settings.redisUrl, { lazyConnect: true });
  const notifications = { redis: notificationRedis, keyPrefix: runtime.redisKeyPrefix ?? "" };
  const live = { ...notifications, log: runtime.log };
  const services: JobsServices = { settings, jobs, queues, notifications, live };
  const { internalSecret } = runtime;

  const server = await createSubgraphServer(
    {
      name: "jobs",
      typeDefs,
      resolvers,
      createContext: (base) => createContext(base, services),
      routes: {
        "POST /upload": createUploadRoute({ jobs, settings, internalSecret, log: runtime.log }),
      },
      prefixRoutes: {
        [`GET ${jobStatusPrefix}`]: createJobStatusRoute({ jobs, internalSecret }),
        [`GET ${filesRoutePrefix}`]: createFilesRoute({
          storageDir: settings.storageDir,
          jobs,
          internalSecret,
          ...(runtime.audit ? { audit: runtime.audit } : {}),
        }),
        "GET /admin/queues": createAdminQueuesRoute({
          jobs,
          queues,
          internalSecret,
          redisTimeoutMs: settings.outboxRedisTimeoutMs,
          exposeErrorDetails: runtime.exposeErrorDetails,
        }),
      },
    },
    runtime,
  );
  // The relay lives here, so its backlog and the Redis it feeds are measured here too.
  registerOutboxMetrics(server.metrics.registry, runtime.db.primary);
  registerDependencyProbe(server.metrics.registry, "redis", () => queues.connection.ping());
  if (settings.startRelay ?? true) relay.start();

  return {
    ...server,
    jobs,
    relay,
    queues,
    async stop() {
      await server.stop();
      await relay.stop();
      await queues.close();
      notificationRedis.disconnect();
    },
  };
}

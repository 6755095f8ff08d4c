/**
 * One subscription: which Redis channel it listens to, the state it sends first, and how each
 * event becomes a payload (the rewritten query, executed through the gateway as the subscriber).
 *
 * Job payloads: the query reads the job as it is NOW, which may already be a later state than the
 * event's (or, on a read replica, an earlier one); the event's own snapshot (status, progress,
 * attempts, result, error, timestamps) is laid over the root object's fields, so every event is
 * delivered as the state it announces, while federated fields (offer { title }) come from the query.
 * Events carry the row's updatedAt: one not newer than what this subscription already delivered
 * (the initial state, a repeat, a late message) is dropped, so each state arrives once, in order.
 */
import { GraphQLError, type ExecutionResult } from "graphql";
import { notFound, unauthenticated, type Identity, type Logger } from "@agora/platform";
import { liveChannels, type JobSnapshot, type LiveEvent } from "@agora/platform/live-events";
import type { LiveEventBus } from "./event-bus.js";
import { liveIdVariable, liveVersionAlias, type LiveOperation } from "./operation-rewrite.js";
import { LiveStream } from "./live-stream.js";

/** Runs a query through the gateway as the subscriber. */
export type LiveExecutor = (identity: Identity, query: string, variables: Record<string, unknown>) => Promise<ExecutionResult>;

export interface LiveSubscriptionOptions {
  operation: LiveOperation;
  variables: Record<string, unknown>;
  identity: Identity | null;
  keyPrefix: string;
  bus: LiveEventBus;
  execute: LiveExecutor;
  /** See LiveStreamOptions.maxQueued. */
  maxQueued: number;
  /** The socket cannot keep up: drop it. */
  onSlowConsumer: () => void;
  log: Logger;
}

/** Job fields an event's snapshot knows the value of at the moment of the event. */
const snapshotFields: Record<string, (job: JobSnapshot) => unknown> = {
  status: (job) => job.status,
  progress: (job) => job.progress,
  attempts: (job) => job.attempts,
  error: (job) => job.error,
  result: (job) => job.result,
  startedAt: (job) => job.startedAt,
  finishedAt: (job) => job.finishedAt,
  updatedAt: (job) => job.updatedAt,
};

/** How many jobs (myJobUpdates) or notifications one subscription remembers to drop repeats. */
const rememberedKeys = 1000;

interface Delivered {
  version: number;
  state: string;
}

const stateOf = (job: JobSnapshot) => `${job.status}:${job.progress}:${job.attempts}`;

function remember<V>(map: Map<string, V>, key: string, value: V) {
  map.delete(key);
  map.set(key, value);
  if (map.size > rememberedKeys) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/**
 * Starts a subscription: resolves with the stream of payloads, or with a single result carrying
 * the errors (not signed in, job not found or not yours, Redis away) after which graphql-ws completes it.
 */
export async function startLiveSubscription(options: LiveSubscriptionOptions): Promise<LiveStream | ExecutionResult> {
  const { operation, identity, bus, keyPrefix } = options;
  if (!identity)
    return { errors: [unauthenticated('Sign in to subscribe: pass connectionParams { Authorization: "Bearer <access token>" }.')] };
  const stops: (() => void)[] = [];
  const stream = new LiveStream({
    maxQueued: options.maxQueued,
    onOverflow: options.onSlowConsumer,
    onError: (error) => options.log.error({ err: error, field: operation.field }, "live event could not be resolved"),
    onClose: () => {
      for (const stop of stops.splice(0)) stop();
    },
  });
  const addStop = (stop: () => void) => (stream.closed ? stop() : stops.push(stop));
  const delivered = new Map<string, Delivered>();
  const seenNotifications = new Map<string, true>();

  const run = (id: string) =>
    options.execute(
      identity,
      operation.querySource,
      operation.takesLiveId ? { ...options.variables, [liveIdVariable]: id } : options.variables,
    );
  /** A copy of the root object of a result (results may be shared, see shared-executions.ts); null when there is none. */
  const rootOf = (result: ExecutionResult): Record<string, unknown> | null => {
    const value = result.data?.[operation.responseKey];
    return value && typeof value === "object" ? { ...(value as Record<string, unknown>) } : null;
  };
  const payload = (result: ExecutionResult, root: Record<string, unknown>): ExecutionResult => {
    const { [liveVersionAlias]: _version, ...visible } = root;
    return { data: { ...result.data, [operation.responseKey]: visible }, ...(result.errors?.length ? { errors: result.errors } : {}) };
  };

  async function onJobEvent(job: JobSnapshot): Promise<ExecutionResult | null> {
    if (operation.jobId && job.jobId !== operation.jobId) return null;
    const version = Date.parse(job.updatedAt);
    const last = delivered.get(job.jobId);
    if (last && (version < last.version || (version === last.version && stateOf(job) === last.state))) return null;
    const result = await run(job.jobId);
    const root = rootOf(result);
    // Not (or no longer) visible to this subscriber: the jobs subgraph said null.
    if (!root) return result.errors?.length ? result : null;
    for (const [key, field] of operation.jobFields) {
      const value = snapshotFields[field];
      if (value) root[key] = value(job);
    }
    remember(delivered, job.jobId, { version, state: stateOf(job) });
    return payload(result, root);
  }

  /** The job as it is now; delivered when newer than what was sent (first state, or after Redis came back). */
  let refused: ExecutionResult | null = null;
  async function current(jobId: string, first: boolean): Promise<ExecutionResult | null> {
    const result = await run(jobId);
    const root = rootOf(result);
    if (!root) {
      if (first) refused = result;
      return null;
    }
    const version = typeof root[liveVersionAlias] === "string" ? Date.parse(root[liveVersionAlias]) : 0;
    const last = delivered.get(jobId);
    if (last && version <= last.version) return null;
    remember(delivered, jobId, { version, state: "" });
    return payload(result, root);
  }

  async function onNotification(id: string): Promise<ExecutionResult | null> {
    if (seenNotifications.has(id)) return null;
    remember(seenNotifications, id, true);
    const result = await run(id);
    return rootOf(result) ? result : null;
  }

  const onEvent = (event: LiveEvent) => {
    if (event.type === "job" && operation.field !== "notifications") void stream.run(() => onJobEvent(event.job));
    if (event.type === "notification" && operation.field === "notifications") void stream.run(() => onNotification(event.notification.id));
  };

  const channel =
    operation.field === "jobUpdated" && operation.jobId
      ? liveChannels.job(keyPrefix, operation.jobId)
      : liveChannels.user(keyPrefix, identity.userId);
  if (operation.field === "jobUpdated" && !operation.jobId) return { errors: [new GraphQLError('"id" must be a job id.')] };

  // Listening starts before the current state is read, and the read is queued first: an event
  // committed after the read is delivered after it, one committed before it is already in it.
  const subscribed = bus.subscribe(channel, onEvent);
  const jobId = operation.field === "jobUpdated" ? operation.jobId : null;
  const first = stream.run(async () => {
    const stop = await subscribed.catch(() => null);
    if (!stop) return null;
    addStop(stop);
    return jobId && !stream.closed ? current(jobId, true) : null;
  });
  try {
    await subscribed;
  } catch (error) {
    stream.close();
    return { errors: [error instanceof GraphQLError ? error : new GraphQLError("Live updates are unavailable.")] };
  }
  if (jobId) {
    const initial = await first;
    if (!initial) {
      stream.close();
      const errors = (refused as ExecutionResult | null)?.errors;
      return errors?.length ? { errors } : { errors: [notFound("Job", jobId)] };
    }
    addStop(bus.onResume(() => void stream.run(() => current(jobId, false))));
  }
  return stream;
}

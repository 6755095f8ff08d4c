/**
 * Moves analytics events from the Redis stream (`recordEvent` on the request path) into
 * jobs.analytics_events in batches (through the jobs package, owner of the analytics tables). Every process that consumes the analytics queue is one
 * consumer of one consumer group, so the stream is shared out, never read twice by the group.
 * At-least-once: entries are acknowledged after the insert; a consumer that dies between the two
 * leaves its entries pending, and another consumer claims them after ANALYTICS_CLAIM_IDLE_MS.
 */
import { hostname } from "node:os";
import { insertAnalyticsEvents, type NewAnalyticsEvent } from "@agora/jobs/analytics";
import { analyticsStreamKey, parseStreamEvent } from "@agora/platform/analytics";
import { isUuid, type Redis } from "@agora/platform";
import type { WorkerDeps } from "../deps.js";

export const analyticsConsumerGroup = "analytics-workers";

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

export interface EventDrain {
  /** Entries written to Postgres so far by this process. */
  drained(): number;
  stop(): Promise<void>;
}

const uuidOrNull = (value: string | null | undefined) => (value && isUuid(value) ? value : null);

export async function startEventDrain(deps: WorkerDeps, connection: Redis): Promise<EventDrain> {
  const { config, log, prisma } = deps;
  const stream = analyticsStreamKey(config.REDIS_KEY_PREFIX);
  const consumer = `${hostname()}:${process.pid}`;
  const ensureGroup = async () => {
    try {
      await connection.xgroup("CREATE", stream, analyticsConsumerGroup, "0", "MKSTREAM");
    } catch (error) {
      if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
    }
  };
  await ensureGroup();

  let running = true;
  let drained = 0;
  let lastClaim = 0;

  const store = async (entries: StreamEntry[]) => {
    if (entries.length === 0) return;
    const rows: NewAnalyticsEvent[] = [];
    for (const [, fields] of entries) {
      const event = parseStreamEvent(fields ?? []);
      // Malformed entries are acknowledged and dropped: they would fail forever.
      if (event)
        rows.push({
          type: event.type,
          offerId: uuidOrNull(event.offerId),
          userId: uuidOrNull(event.userId),
          query: event.query ?? null,
          occurredAt: event.occurredAt,
        });
    }
    await insertAnalyticsEvents(prisma, rows);
    await connection.xack(stream, analyticsConsumerGroup, ...entries.map(([id]) => id));
    drained += rows.length;
  };

  const claimAbandoned = async () => {
    // XAUTOCLAIM <key> <group> <consumer> <min-idle> <start> COUNT n -> [next, entries, deleted]
    const reply = (await connection.xautoclaim(
      stream,
      analyticsConsumerGroup,
      consumer,
      config.ANALYTICS_CLAIM_IDLE_MS,
      "0-0",
      "COUNT",
      config.ANALYTICS_BATCH_SIZE,
    )) as [string, StreamEntry[]];
    await store((reply[1] ?? []).filter((entry) => entry && entry[1]));
  };

  const loop = async () => {
    while (running) {
      try {
        if (Date.now() - lastClaim >= config.ANALYTICS_CLAIM_IDLE_MS) {
          lastClaim = Date.now();
          await claimAbandoned();
        }
        const reply = (await connection.xreadgroup(
          "GROUP",
          analyticsConsumerGroup,
          consumer,
          "COUNT",
          config.ANALYTICS_BATCH_SIZE,
          "BLOCK",
          config.ANALYTICS_BLOCK_MS,
          "STREAMS",
          stream,
          ">",
        )) as ReadReply;
        await store(reply?.[0]?.[1] ?? []);
      } catch (error) {
        if (!running) break;
        // The stream (and its group) can vanish, e.g. after a FLUSHDB: create them again.
        if (String((error as Error).message).includes("NOGROUP")) await ensureGroup().catch(() => undefined);
        log.warn({ err: error }, "analytics drain failed; retrying in 1 s");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  const done = loop();

  return {
    drained: () => drained,
    async stop() {
      running = false;
      // The current XREADGROUP returns within ANALYTICS_BLOCK_MS; its batch is stored and acknowledged.
      await done;
    },
  };
}

/**
 * Moves events from the Redis streams the services write on the request path into Postgres in
 * batches: analytics events (`recordEvent`) into jobs.analytics_events (through the jobs package,
 * owner of the analytics tables) and security audit events (the audit recorder's sibling stream)
 * into audit.events (through @agora/platform/audit). One loop, one XREADGROUP over both streams.
 * Every process that consumes the analytics queue is one consumer of one consumer group, so each
 * stream is shared out, never read twice by the group.
 *
 * At-least-once: entries are acknowledged after the insert; a consumer that dies between the two
 * leaves its entries pending, and another consumer claims them after ANALYTICS_CLAIM_IDLE_MS.
 * Audit inserts are idempotent on the event id (made by the recorder), so a claimed entry that was
 * already inserted is not stored twice; acknowledged audit entries are deleted from their stream
 * (it is not trimmed by length, so nothing is dropped before it is stored). A batch that fails to
 * insert stays pending and is claimed again, it is never acknowledged unstored.
 */
import { hostname } from "node:os";
import { insertAnalyticsEvents, type NewAnalyticsEvent } from "@agora/jobs/analytics";
import { analyticsStreamKey, parseStreamEvent } from "@agora/platform/analytics";
import { auditStreamKey, parseAuditStreamEntry, type AuditRecord } from "@agora/platform/audit-events";
import { insertAuditEvents } from "@agora/platform/audit";
import { isUuid, type Redis } from "@agora/platform";
import type { WorkerDeps } from "../deps.js";

export const analyticsConsumerGroup = "analytics-workers";

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

export interface EventDrain {
  /** Analytics entries written to Postgres so far by this process. */
  drained(): number;
  /** Audit events written to Postgres so far by this process (duplicates skipped are not counted). */
  audited(): number;
  stop(): Promise<void>;
}

/** One stream and what becomes of its entries. */
interface StreamSink {
  key: string;
  /** Stores the batch; throws to leave it pending. */
  store(entries: StreamEntry[]): Promise<void>;
  /** XDEL after XACK: for streams that are not trimmed by length. */
  deleteAcknowledged: boolean;
}

const uuidOrNull = (value: string | null | undefined) => (value && isUuid(value) ? value : null);

export async function startEventDrain(deps: WorkerDeps, connection: Redis): Promise<EventDrain> {
  const { config, log, prisma } = deps;
  const consumer = `${hostname()}:${process.pid}`;
  let drained = 0;
  let audited = 0;

  const sinks: StreamSink[] = [
    {
      key: analyticsStreamKey(config.REDIS_KEY_PREFIX),
      deleteAcknowledged: false,
      async store(entries) {
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
        drained += rows.length;
      },
    },
    {
      key: auditStreamKey(config.REDIS_KEY_PREFIX),
      deleteAcknowledged: true,
      async store(entries) {
        const records: AuditRecord[] = [];
        for (const [id, fields] of entries) {
          const record = parseAuditStreamEntry(fields ?? []);
          // Never written by the recorder; logged whole so nothing vanishes without a trace.
          if (record) records.push(record);
          else log.error({ streamId: id, fields }, "malformed audit stream entry dropped");
        }
        audited += await insertAuditEvents(prisma, records);
      },
    },
  ];
  const sinkOf = new Map(sinks.map((sink) => [sink.key, sink]));

  const ensureGroups = async () => {
    for (const { key } of sinks) {
      try {
        await connection.xgroup("CREATE", key, analyticsConsumerGroup, "0", "MKSTREAM");
      } catch (error) {
        if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
      }
    }
  };
  await ensureGroups();

  let running = true;
  let lastClaim = 0;

  const store = async (sink: StreamSink, entries: StreamEntry[]) => {
    if (entries.length === 0) return;
    await sink.store(entries);
    const ids = entries.map(([id]) => id);
    if (sink.deleteAcknowledged) {
      await connection
        .multi()
        .xack(sink.key, analyticsConsumerGroup, ...ids)
        .xdel(sink.key, ...ids)
        .exec();
    } else {
      await connection.xack(sink.key, analyticsConsumerGroup, ...ids);
    }
  };

  const claimAbandoned = async () => {
    for (const sink of sinks) {
      // XAUTOCLAIM <key> <group> <consumer> <min-idle> <start> COUNT n -> [next, entries, deleted]
      const reply = (await connection.xautoclaim(
        sink.key,
        analyticsConsumerGroup,
        consumer,
        config.ANALYTICS_CLAIM_IDLE_MS,
        "0-0",
        "COUNT",
        config.ANALYTICS_BATCH_SIZE,
      )) as [string, StreamEntry[]];
      await store(
        sink,
        (reply[1] ?? []).filter((entry) => entry && entry[1]),
      );
    }
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
          ...sinks.map((sink) => sink.key),
          ...sinks.map(() => ">"),
        )) as ReadReply;
        for (const [key, entries] of reply ?? []) {
          const sink = sinkOf.get(key);
          if (sink) await store(sink, entries ?? []);
        }
      } catch (error) {
        if (!running) break;
        // A stream (and its group) can vanish, e.g. after a FLUSHDB: create them again.
        if (String((error as Error).message).includes("NOGROUP")) await ensureGroups().catch(() => undefined);
        // What failed stays pending: claimed again (by this or another consumer) after the idle time.
        log.warn({ err: error }, "event drain failed; retrying in 1 s");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  const done = loop();

  return {
    drained: () => drained,
    audited: () => audited,
    async stop() {
      running = false;
      // The current XREADGROUP returns within ANALYTICS_BLOCK_MS; its batch is stored and acknowledged.
      await done;
    },
  };
}

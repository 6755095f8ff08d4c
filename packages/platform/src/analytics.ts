/**
 * Analytics events are recorded on the request path into a Redis stream and drained into Postgres
 * in batches by the analytics worker. Recording never waits for Redis and never throws: a lost
 * view count is better than a slower or failed request.
 */
import type { Redis } from "ioredis";

export type AnalyticsEventKind = "OFFER_VIEW" | "SEARCH";

export interface AnalyticsEventInput {
  type: AnalyticsEventKind;
  offerId?: string | null;
  userId?: string | null;
  query?: string | null;
}

/** The stream key under the platform prefix (REDIS_KEY_PREFIX). */
export const analyticsStreamKey = (prefix: string) => `${prefix}analytics:events`;

/** Roughly the newest million events are kept in the stream; the worker drains far faster. */
export const analyticsStreamMaxLength = 1_000_000;

/** Longest search query kept; longer ones are cut. */
const maxQueryLength = 200;

/**
 * Appends one event (XADD ... MAXLEN ~ 1000000 *). Fire and forget: the promise is not awaited and
 * errors are swallowed (passed to `onError` when given).
 */
export function recordEvent(redis: Redis, prefix: string, event: AnalyticsEventInput, onError?: (error: unknown) => void): void {
  const fields: string[] = ["type", event.type, "at", String(Date.now())];
  if (event.offerId) fields.push("offerId", event.offerId);
  if (event.userId) fields.push("userId", event.userId);
  if (event.query) fields.push("query", event.query.slice(0, maxQueryLength));
  try {
    redis
      .xadd(analyticsStreamKey(prefix), "MAXLEN", "~", String(analyticsStreamMaxLength), "*", ...fields)
      .catch((error: unknown) => onError?.(error));
  } catch (error) {
    onError?.(error);
  }
}

/** Parses the flat field list of a stream entry back into an event; null when it is malformed. */
export function parseStreamEvent(fields: string[]): (AnalyticsEventInput & { occurredAt: Date }) | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const type = map.get("type");
  if (type !== "OFFER_VIEW" && type !== "SEARCH") return null;
  const at = Number(map.get("at"));
  return {
    type,
    offerId: map.get("offerId") ?? null,
    userId: map.get("userId") ?? null,
    query: map.get("query") ?? null,
    occurredAt: Number.isFinite(at) && at > 0 ? new Date(at) : new Date(),
  };
}

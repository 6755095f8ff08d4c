/**
 * `@agora/platform/audit-events`: recording security audit events without slowing the request.
 *
 * A recorded event is appended to its own Redis stream (`<prefix>audit:events`), a sibling of the
 * analytics stream, and drained into audit.events by the same drain loop in the workers. A sibling
 * rather than the analytics stream itself: the analytics stream is trimmed to its newest million
 * entries and drops what it cannot parse, while an audit entry must stay until it is in Postgres,
 * so this stream is never trimmed by length (the drain deletes what it has stored).
 *
 * Light on purpose (ioredis, node:crypto, the OpenTelemetry API): the gateway imports it and must
 * not load Prisma. `record()` never throws and is never awaited on the request path. When Redis
 * refuses the event (down, or slower than `redisTimeoutMs`), it goes to `fallback`: services with a
 * database write it to Postgres directly; the gateway has none, so it logs the event at warn (the
 * JSON log is then the record). Each event gets its id here, so if a "failed" XADD did reach Redis
 * after all, the drain and the direct write insert the same row once (ON CONFLICT DO NOTHING).
 *
 * Never a password, token or secret: keys that look like one are dropped from `details`.
 */
import { createHash, randomUUID } from "node:crypto";
import { trace } from "@opentelemetry/api";
import type { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import type { Role } from "./identity.js";
import { withTimeout } from "./with-timeout.js";

export const auditActions = [
  "SIGN_IN",
  "SIGN_OUT",
  "REGISTER",
  "REFRESH_TOKEN_REUSE",
  "ROLE_CHANGE",
  "RATE_LIMITED",
  "OPERATION_REFUSED",
  "OFFER_ARCHIVE",
  "REVIEW_MODERATION",
  "JOB_RETRY",
  "REPORT_DOWNLOAD",
] as const;
export type AuditAction = (typeof auditActions)[number];

/** SUCCESS: it happened. FAILURE: it was tried and failed (a wrong password). DENIED: refused by policy (a limit, a role). */
export const auditOutcomes = ["SUCCESS", "FAILURE", "DENIED"] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** Who and from where: filled per request from the forwarded identity and request origin. */
export interface AuditOrigin {
  actorId?: string | null;
  actorRole?: Role | null;
  clientIp?: string | null;
  requestId?: string | null;
}

export interface AuditEventInput extends AuditOrigin {
  action: AuditAction;
  outcome: AuditOutcome;
  targetType?: string | null;
  targetId?: string | null;
  /** Context of the event (counts, old and new values). Never secrets: such keys are dropped. */
  details?: Record<string, unknown>;
  /** @defaultValue now */
  occurredAt?: Date;
  /**
   * For events a retry may record again (a re-run job): the same key gives the same event id, and
   * the log stores one row per id. @defaultValue a random id
   */
  idempotencyKey?: string;
}

/** One event as it travels through the stream and lands in audit.events. */
export interface AuditRecord {
  id: string;
  occurredAt: Date;
  service: string;
  action: AuditAction;
  outcome: AuditOutcome;
  actorId: string | null;
  actorRole: string | null;
  clientIp: string | null;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  traceId: string | null;
  details: Record<string, unknown>;
}

export interface AuditRecorder {
  /** Queues the event for the log; returns at once, never throws. */
  record(event: AuditEventInput): void;
  /** Resolves when every event recorded so far has reached Redis or its fallback (tests, shutdown). */
  flush(): Promise<void>;
  /** flush(), then `onClose` (e.g. the recorder's own Redis connection). */
  close(): Promise<void>;
}

export interface AuditRecorderOptions {
  /** Null: no Redis at all, every event goes to `fallback` (or the log). */
  redis: Redis | null;
  keyPrefix: string;
  /** The recording process, stored with each event (gateway, users, offers, ...). */
  service: string;
  log: Logger;
  /** Where events go when Redis refused them; without one they are logged at warn. */
  fallback?: (records: AuditRecord[]) => Promise<void>;
  /** Longest wait for Redis before the fallback takes the event. @defaultValue 2000 */
  redisTimeoutMs?: number;
  /** Run by close() after the last event is out. */
  onClose?: () => void | Promise<void>;
}

/** The stream key under the platform prefix (REDIS_KEY_PREFIX). */
export const auditStreamKey = (prefix: string) => `${prefix}audit:events`;

/** Keys never stored in details, at any depth (passwords and their hashes, tokens, secrets, keys, cookies). */
const secretKey = /pass(word)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential/i;
const maxDetailsBytes = 4096;

export function sanitizeDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const clean = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value !== "object") return typeof value === "string" ? value.slice(0, 500) : value;
    if (value instanceof Date) return value.toISOString();
    if (depth > 3) return "[nested]";
    if (Array.isArray(value)) return value.slice(0, 50).map((item) => clean(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (!secretKey.test(key)) out[key] = clean(inner, depth + 1);
    return out;
  };
  const result = clean(details, 0) as Record<string, unknown>;
  // A bounded row whatever a caller passes: an attacker-controlled value cannot bloat the log.
  return JSON.stringify(result).length > maxDetailsBytes ? { truncated: true } : result;
}

/** The active span's trace id; null when tracing is off (the no-op span's id is all zeros). */
export function currentTraceId(): string | null {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : null;
}

/** A UUID-shaped SHA-256 of the key (stable, so a repeated event keeps its id). */
export function auditEventIdFor(key: string): string {
  const hex = createHash("sha256").update(`audit:${key}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function toAuditRecord(event: AuditEventInput, service: string): AuditRecord {
  return {
    id: event.idempotencyKey ? auditEventIdFor(event.idempotencyKey) : randomUUID(),
    occurredAt: event.occurredAt ?? new Date(),
    service,
    action: event.action,
    outcome: event.outcome,
    actorId: event.actorId ?? null,
    actorRole: event.actorRole ?? null,
    clientIp: event.clientIp ?? null,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    requestId: event.requestId?.slice(0, 100) ?? null,
    traceId: currentTraceId(),
    details: sanitizeDetails(event.details),
  };
}

export function createAuditRecorder(options: AuditRecorderOptions): AuditRecorder {
  const { redis, keyPrefix, service, log, fallback } = options;
  const timeoutMs = options.redisTimeoutMs ?? 2000;
  const stream = auditStreamKey(keyPrefix);
  const pending = new Set<Promise<void>>();

  const rescue = async (record: AuditRecord, error: unknown) => {
    if (fallback) {
      try {
        await fallback([record]);
        log.warn({ err: error, auditEventId: record.id }, "audit event written to Postgres directly: Redis did not take it");
        return;
      } catch (fallbackError) {
        error = fallbackError;
      }
    }
    // The last resort: the JSON log carries the whole event, so it can be replayed by hand.
    log.warn({ err: error, audit: record }, "audit event not stored; logged here instead");
  };

  const send = async (record: AuditRecord) => {
    if (!redis) return rescue(record, new Error("no Redis configured for audit events"));
    try {
      await withTimeout(redis.xadd(stream, "*", "event", JSON.stringify(record)), timeoutMs, "Redis (audit stream)");
    } catch (error) {
      await rescue(record, error);
    }
  };

  return {
    record(event) {
      let record: AuditRecord;
      try {
        record = toAuditRecord(event, service);
      } catch (error) {
        log.warn({ err: error, action: event.action }, "audit event could not be built");
        return;
      }
      const sent = send(record).catch(() => undefined);
      pending.add(sent);
      void sent.finally(() => pending.delete(sent));
    },
    async flush() {
      await Promise.all([...pending]);
    },
    async close() {
      await Promise.all([...pending]);
      await options.onClose?.();
    },
  };
}

/** A recorder bound to one request: who and from where are filled in unless the event says otherwise. */
export interface AuditTrail {
  record(event: AuditEventInput): void;
}

export function auditTrail(recorder: AuditRecorder, origin: AuditOrigin): AuditTrail {
  const pick = <K extends keyof AuditOrigin>(event: AuditEventInput, key: K) => (event[key] !== undefined ? event[key] : origin[key]);
  return {
    record: (event) =>
      recorder.record({
        ...event,
        actorId: pick(event, "actorId"),
        actorRole: pick(event, "actorRole"),
        clientIp: pick(event, "clientIp"),
        requestId: pick(event, "requestId"),
      }),
  };
}

/** A recorder that drops everything (tests and tools that do not audit). */
export const noAuditRecorder: AuditRecorder = { record: () => undefined, flush: async () => undefined, close: async () => undefined };

/** Parses a stream entry back into a record; null when it is not one (the drain logs it whole at error, then drops it). */
export function parseAuditStreamEntry(fields: string[]): AuditRecord | null {
  const index = fields.indexOf("event");
  const text = index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
  if (!text) return null;
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const occurredAt = new Date(String(raw.occurredAt));
    if (
      typeof raw.id !== "string" ||
      Number.isNaN(occurredAt.getTime()) ||
      !auditActions.includes(raw.action as AuditAction) ||
      !auditOutcomes.includes(raw.outcome as AuditOutcome)
    ) {
      return null;
    }
    const str = (key: string) => (typeof raw[key] === "string" ? (raw[key] as string) : null);
    return {
      id: raw.id,
      occurredAt,
      service: str("service") ?? "unknown",
      action: raw.action as AuditAction,
      outcome: raw.outcome as AuditOutcome,
      actorId: str("actorId"),
      actorRole: str("actorRole"),
      clientIp: str("clientIp"),
      targetType: str("targetType"),
      targetId: str("targetId"),
      requestId: str("requestId"),
      traceId: str("traceId"),
      details: raw.details && typeof raw.details === "object" ? (raw.details as Record<string, unknown>) : {},
    };
  } catch {
    return null;
  }
}

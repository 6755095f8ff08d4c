/**
 * Rate-limit blocks and operation-limit refusals go to the security audit log, aggregated so an
 * attack cannot flood it: refusals are counted in memory per (kind, budget or limit, user, client
 * address) and each window (AUDIT_REFUSAL_WINDOW_MS) writes one event per key, with the count and
 * the first and last refusal, when it closes (and when the gateway stops). At most
 * AUDIT_REFUSAL_MAX_KEYS keys are kept per window; refusals beyond them are summed into one
 * overflow event, so a gateway writes at most that many + 2 events per window whatever arrives.
 * We chose one row per key and window over "the first refusal at once plus a count later": a
 * reader gets one row that says how bad it was, and nothing is written while it is happening
 * except counters. A gateway killed mid-window loses that window's counts (the metrics
 * `agora_gateway_rate_limit_decisions_total` and `agora_gateway_operation_limit_hits_total` still
 * have them).
 *
 * It reads only the answer's error codes (RATE_LIMITED with `budgets`, OPERATION_TOO_COMPLEX with
 * `limit`), so it depends on no other plugin's internals.
 */
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from "@apollo/server";
import type { AuditAction, AuditRecorder } from "@agora/platform/audit-events";
import type { GatewayContext } from "../context.js";

export interface AuditRefusalsOptions {
  recorder: AuditRecorder;
  /** Length of one aggregation window. @defaultValue 60000 */
  windowMs: number;
  /** Distinct keys counted per window; the rest go into one overflow event. @defaultValue 1000 */
  maxKeys: number;
}

interface Tally {
  action: AuditAction;
  targetType: string;
  targetId: string;
  actorId: string | null;
  actorRole: string | null;
  clientIp: string;
  requestId: string;
  operations: Set<string>;
  count: number;
  firstAt: Date;
  lastAt: Date;
}

export interface RefusalAggregator {
  count(refusal: Omit<Tally, "count" | "firstAt" | "lastAt" | "operations"> & { operation: string | null }): void;
  /** Writes one event per key of the current window and starts the next one. */
  flush(): void;
  /** flush() and no more windows. */
  stop(): void;
}

export function createRefusalAggregator(options: AuditRefusalsOptions): RefusalAggregator {
  let tallies = new Map<string, Tally>();
  let overflow = { count: 0, keys: 0, firstAt: null as Date | null };
  const flush = () => {
    const closing = tallies;
    const spilled = overflow;
    tallies = new Map();
    overflow = { count: 0, keys: 0, firstAt: null };
    for (const tally of closing.values()) {
      options.recorder.record({
        action: tally.action,
        outcome: "DENIED",
        actorId: tally.actorId,
        actorRole: tally.actorRole as "USER" | "MODERATOR" | "ADMIN" | null,
        clientIp: tally.clientIp,
        requestId: tally.requestId,
        targetType: tally.targetType,
        targetId: tally.targetId,
        occurredAt: tally.firstAt,
        details: {
          count: tally.count,
          firstAt: tally.firstAt,
          lastAt: tally.lastAt,
          windowMs: options.windowMs,
          operations: [...tally.operations].slice(0, 10),
        },
      });
    }
    if (spilled.count > 0 && spilled.firstAt) {
      options.recorder.record({
        action: "RATE_LIMITED",
        outcome: "DENIED",
        actorId: null,
        actorRole: null,
        targetType: "OVERFLOW",
        targetId: null,
        occurredAt: spilled.firstAt,
        details: { count: spilled.count, keysNotListed: spilled.keys, windowMs: options.windowMs, maxKeys: options.maxKeys },
      });
    }
  };
  const timer = setInterval(flush, options.windowMs);
  timer.unref();
  return {
    count(refusal) {
      const now = new Date();
      const key = [refusal.action, refusal.targetId, refusal.actorId ?? "-", refusal.clientIp].join("|");
      const tally = tallies.get(key);
      if (tally) {
        tally.count += 1;
        tally.lastAt = now;
        if (refusal.operation && tally.operations.size < 10) tally.operations.add(refusal.operation);
        return;
      }
      if (tallies.size >= options.maxKeys) {
        overflow.count += 1;
        overflow.keys += 1;
        overflow.firstAt ??= now;
        return;
      }
      const { operation, ...rest } = refusal;
      tallies.set(key, { ...rest, operations: new Set(operation ? [operation] : []), count: 1, firstAt: now, lastAt: now });
    },
    flush() {
      flush();
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

type FormattedErrors = readonly { extensions?: Record<string, unknown> }[] | undefined;

export function auditRefusals(options: AuditRefusalsOptions): ApolloServerPlugin<GatewayContext> {
  const aggregator = createRefusalAggregator(options);
  const observe = ({ contextValue, response, request }: GraphQLRequestContextWillSendResponse<GatewayContext>) => {
    const errors: FormattedErrors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
    if (!errors?.length) return;
    for (const error of errors) {
      const code = error.extensions?.code;
      const base = {
        actorId: contextValue.identity?.userId ?? null,
        actorRole: contextValue.identity?.role ?? null,
        clientIp: contextValue.clientIp,
        requestId: contextValue.requestId,
        operation: request.operationName?.slice(0, 100) ?? null,
      };
      if (code === "RATE_LIMITED") {
        const budgets = Array.isArray(error.extensions?.budgets) ? (error.extensions.budgets as string[]) : [];
        aggregator.count({ ...base, action: "RATE_LIMITED", targetType: "RATE_LIMIT_BUDGET", targetId: budgets.join(",") || "unknown" });
      } else if (code === "OPERATION_TOO_COMPLEX") {
        const limit = typeof error.extensions?.limit === "string" ? error.extensions.limit : "unknown";
        aggregator.count({ ...base, action: "OPERATION_REFUSED", targetType: "OPERATION_LIMIT", targetId: limit });
      }
    }
  };
  return {
    async serverWillStart() {
      return {
        async serverWillStop() {
          aggregator.stop();
          await options.recorder.flush();
        },
      };
    },
    async requestDidStart({ contextValue }) {
      // The gateway's own executions of subscription payloads are no client's refusals.
      if (contextValue.internal) return {};
      return {
        async willSendResponse(requestContext) {
          observe(requestContext);
        },
      };
    },
  };
}

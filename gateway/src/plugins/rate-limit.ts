/**
 * Rate limiting shared by every gateway through Redis (GCRA buckets, see rate-limit-store.ts).
 *
 * Each operation is charged its estimated cost (operation-cost.ts, at least 1 point) against:
 * - its subject: the token's user with the policy of their role, or, without a token, the client IP
 *   with the anonymous policy;
 * - the client IP, whoever is signed in (so a pile of tokens from one address buys nothing);
 * - for every `login` / `refreshToken` field, aliases included, one point per attempt against the
 *   account (the normalised email) and against the client IP's login budget.
 * All buckets of a decision are checked and charged in one atomic Redis call, all or nothing.
 *
 * The decision is taken in `responseForOperation`: after every plugin's `didResolveOperation`
 * (so operations that operation limits refuse are never charged their cost) and before any cache or
 * execution. Refusals are HTTP 429 `RATE_LIMITED` with `Retry-After`; every response carries the
 * IETF `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers-10). A
 * document refused before that point (unparsable, invalid, too complex) costs one point, so a flood
 * of bad documents is limited too.
 *
 * Redis unreachable (error or `redisTimeoutMs`): queries fall back to a per-process limiter and
 * mutations are refused with 503 SERVICE_UNAVAILABLE, unless configured otherwise; both logged and
 * counted.
 */
import { createHash } from "node:crypto";
import type { ApolloServerPlugin, GraphQLRequestContext, GraphQLRequestListener, GraphQLResponse } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import {
  getArgumentValues,
  getVariableValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { Counter, type Registry } from "prom-client";
import { createRedis, describeRedisUrl, ErrorCode, withTimeout, type Logger, type Role } from "@agora/platform";
import type { GatewayContext } from "../context.js";
import type { CostedRequest } from "./operation-cost.js";
import { emissionIntervalMs, type RateLimitPolicy } from "./rate-limit-policy.js";
import { chargedCost, MemoryGcra, redisGcra, type BucketCharge, type Decision, type GcraStore } from "./rate-limit-store.js";

export type RedisDownMode = "fallback" | "closed";

export interface RateLimitOptions {
  /** Redis shared by all gateways. */
  redisUrl: string;
  /** Prefix of every bucket key (`<prefix>ratelimit:…`). */
  keyPrefix: string;
  policies: {
    /** Requests without a token, per client IP. @defaultValue 1000/60s (RATE_LIMIT_ANONYMOUS) */
    anonymous: RateLimitPolicy;
    /** Per token subject, by role. @defaultValue USER 5000/60s, MODERATOR 10000/60s, ADMIN 20000/60s */
    roles: Record<Role, RateLimitPolicy>;
    /** Every request per client IP. @defaultValue 20000/60s (RATE_LIMIT_IP) */
    ip: RateLimitPolicy;
    /** Login attempts per account. @defaultValue 10/900s (RATE_LIMIT_LOGIN_ACCOUNT) */
    loginAccount: RateLimitPolicy;
    /** Login and refresh attempts per client IP. @defaultValue 100/900s (RATE_LIMIT_LOGIN_IP) */
    loginIp: RateLimitPolicy;
  };
  /**
   * Root mutation fields that are login attempts, with the argument naming the account (null: the
   * field has none, it counts per IP only).
   * @defaultValue `{ login: "email", refreshToken: null }`
   */
  loginFields?: Record<string, string | null>;
  /** What queries get while Redis is unreachable. @defaultValue "fallback" (RATE_LIMIT_REDIS_DOWN_READS) */
  readsWhenRedisDown: RedisDownMode;
  /** What mutations get while Redis is unreachable. @defaultValue "closed" (RATE_LIMIT_REDIS_DOWN_WRITES) */
  writesWhenRedisDown: RedisDownMode;
  /** Longest wait for Redis's answer. @defaultValue 500 (RATE_LIMIT_REDIS_TIMEOUT_MS) */
  redisTimeoutMs: number;
  /** The shared cost estimator (operation limits use the same one). */
  cost: (request: CostedRequest) => number;
  registry: Registry;
  log: Logger;
}

type Outcome = { kind: "decided"; decision: Decision } | { kind: "unavailable"; charges: BucketCharge[] };

const hashed = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 22);

/** `Alice@Example.org ` and `alice@example.org` are one account. */
export const normaliseAccount = (email: string) => email.normalize("NFKC").trim().toLowerCase();

const windowOf = (policy: RateLimitPolicy) => Math.max(1, Math.round((policy.burst * emissionIntervalMs(policy)) / 1000));
const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** Structured-field lists of the draft: `"user";q=5000;w=60` and `"user";r=4990;t=1`. */
function setHeaders(headers: HeaderMap, outcome: Outcome): void {
  const policies = outcome.kind === "decided" ? outcome.decision.buckets : outcome.charges;
  headers.set("ratelimit-policy", policies.map((b) => `"${b.name}";q=${b.policy.burst};w=${windowOf(b.policy)}`).join(", "));
  if (outcome.kind === "decided") {
    headers.set("ratelimit", outcome.decision.buckets.map((b) => `"${b.name}";r=${b.remaining};t=${seconds(b.resetMs)}`).join(", "));
  }
}

/** Root fields of the operation, through fragments, with their arguments' values. */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields.push(...rootFields(document, selection.selectionSet, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) fields.push(...rootFields(document, fragment.selectionSet, seen));
    }
  }
  return fields;
}

export function rateLimit(options: RateLimitOptions): ApolloServerPlugin<GatewayContext> {
  const loginFields = options.loginFields ?? { login: "email", refreshToken: null };
  const prefix = `${options.keyPrefix}ratelimit:`;
  const where = describeRedisUrl(options.redisUrl);
  // Fail fast instead of queueing while Redis is away: the fallback answers at once.
  const redis = createRedis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  const store: GcraStore = redisGcra(redis);
  const fallback = new MemoryGcra();
  const decisions = new Counter({
    name: "agora_gateway_rate_limit_decisions_total",
    help: "Rate-limit decisions: allowed or limited, by Redis or by the per-process fallback; unavailable = refused because Redis was down",
    labelNames: ["decision", "store"],
    registers: [options.registry],
  });
  const redisFailures = new Counter({
    name: "agora_gateway_rate_limit_redis_failures_total",
    help: "Rate-limit decisions Redis could not take (error or timeout)",
    registers: [options.registry],
  });
  // One log line per outage, whether a decision or the connection noticed it first.
  let redisDown = false;
  const markDown = (error: unknown) => {
    if (redisDown) return;
    redisDown = true;
    const mode = (m: RedisDownMode) => (m === "fallback" ? "use a per-process limiter" : "are refused (503)");
    options.log.error(
      { err: error, redis: where },
      `rate limiting: Redis at ${where} is unreachable; queries ${mode(options.readsWhenRedisDown)}, mutations ${mode(options.writesWhenRedisDown)} until it is back (is redis-server running there? it is set by REDIS_URL)`,
    );
  };
  redis.on("error", markDown);

  const charges = (
    context: GatewayContext,
    cost: number,
    request?: { schema: GraphQLSchema; document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown> },
  ) => {
    const { identity, clientIp } = context;
    const list: BucketCharge[] = identity
      ? [
          {
            name: identity.role.toLowerCase(),
            key: `${prefix}user:${identity.userId}`,
            policy: options.policies.roles[identity.role],
            cost,
          },
        ]
      : [{ name: "anonymous", key: `${prefix}anonymous:${clientIp}`, policy: options.policies.anonymous, cost }];
    list.push({ name: "ip", key: `${prefix}ip:${clientIp}`, policy: options.policies.ip, cost });
    const mutationType = request?.schema.getMutationType();
    if (!request || !mutationType || request.operation.operation !== "mutation") return list;
    // Variables that do not fit make Apollo refuse the operation before it runs: no attempt to count.
    const variables = getVariableValues(request.schema, request.operation.variableDefinitions ?? [], request.variables);
    if (!variables.coerced) return list;
    const perAccount = new Map<string, number>();
    let attempts = 0;
    for (const field of rootFields(request.document, request.operation.selectionSet)) {
      const name = field.name.value;
      if (!Object.hasOwn(loginFields, name)) continue;
      attempts++;
      const argument = loginFields[name];
      const definition = mutationType.getFields()[name];
      if (!argument || !definition) continue;
      const account = getArgumentValues(definition, field, variables.coerced)[argument];
      if (typeof account !== "string") continue;
      const key = `${prefix}login-account:${hashed(normaliseAccount(account))}`;
      perAccount.set(key, (perAccount.get(key) ?? 0) + 1);
    }
    for (const [key, count] of perAccount) list.push({ name: "login-account", key, policy: options.policies.loginAccount, cost: count });
    if (attempts > 0)
      list.push({ name: "login-ip", key: `${prefix}login-ip:${clientIp}`, policy: options.policies.loginIp, cost: attempts });
    return list;
  };

  const decide = async (list: BucketCharge[], write: boolean): Promise<Outcome> => {
    try {
      const decision = await withTimeout(store.consume(list), options.redisTimeoutMs, `Redis at ${where}`);
      if (redisDown) options.log.info({ redis: where }, "rate limiting: Redis is back");
      redisDown = false;
      decisions.inc({ decision: decision.allowed ? "allowed" : "limited", store: "redis" });
      return { kind: "decided", decision };
    } catch (error) {
      redisFailures.inc();
      markDown(error);
      if ((write ? options.writesWhenRedisDown : options.readsWhenRedisDown) === "closed") {
        decisions.inc({ decision: "unavailable", store: "none" });
        return { kind: "unavailable", charges: list };
      }
      const decision = await fallback.consume(list);
      decisions.inc({ decision: decision.allowed ? "allowed" : "limited", store: "fallback" });
      return { kind: "decided", decision };
    }
  };

  const refusal = (
    status: number,
    code: string,
    message: string,
    extensions: Record<string, unknown>,
    headers: HeaderMap,
  ): GraphQLResponse => ({
    http: { status, headers },
    body: { kind: "single", singleResult: { errors: [{ message, extensions: { code, ...extensions } }] } },
  });

  return {
    async serverWillStart() {
      // Without this wait the first requests after a start would all land on the fallback.
      if (redis.status !== "ready") {
        await withTimeout(new Promise<void>((resolve) => redis.once("ready", () => resolve())), 2000, `Redis at ${where}`).catch(() =>
          options.log.warn({ redis: where }, "rate limiting: Redis not ready at start; using the fallback until it is"),
        );
      }
      return {
        async serverWillStop() {
          redis.disconnect();
        },
      };
    },
    async requestDidStart({ contextValue }): Promise<GraphQLRequestListener<GatewayContext>> {
      if (contextValue.internal) return {};
      let outcome: Outcome | undefined;
      return {
        async responseForOperation(requestContext) {
          // NaN: variables that do not fit, refused by Apollo right after this; one point.
          const estimated = options.cost(requestContext);
          const cost = Number.isNaN(estimated) ? 1 : Math.max(1, Math.ceil(estimated));
          const list = charges(requestContext.contextValue, cost, {
            schema: requestContext.schema,
            document: requestContext.document,
            operation: requestContext.operation,
            variables: requestContext.request.variables ?? {},
          });
          const write = requestContext.operation.operation === "mutation";
          outcome = await decide(list, write);
          const headers = new HeaderMap();
          if (outcome.kind === "unavailable") {
            return refusal(
              503,
              ErrorCode.SERVICE_UNAVAILABLE,
              `Rate limiting is unavailable (Redis at ${where} does not answer), so ${write ? "mutations" : "queries"} are refused for now. Please try again shortly.`,
              {},
              headers,
            );
          }
          const { decision } = outcome;
          if (decision.allowed) return null;
          const retryAfter = Math.max(1, seconds(decision.retryAfterMs));
          headers.set("retry-after", String(retryAfter));
          const blocking = decision.buckets.filter((bucket, i) => {
            const charge = list[i];
            return charge !== undefined && bucket.remaining < chargedCost(charge);
          });
          const exhausted = (blocking.length ? blocking : decision.buckets).map((bucket) => bucket.name);
          const login = exhausted.some((name) => name.startsWith("login"));
          return refusal(
            429,
            ErrorCode.RATE_LIMITED,
            login
              ? `Too many login attempts (${exhausted.join(", ")} budget). Retry after ${retryAfter} s.`
              : `Rate limit exceeded (${exhausted.join(", ")} budget): this operation costs ${cost} points. Retry after ${retryAfter} s.`,
            { retryAfterSeconds: retryAfter, budgets: exhausted, cost },
            headers,
          );
        },
        async willSendResponse(requestContext: GraphQLRequestContext<GatewayContext>) {
          // Refused before an operation was resolved (parse, validation, operation limits): one point.
          outcome ??= await decide(charges(requestContext.contextValue, 1), false);
          setHeaders(requestContext.response.http.headers, outcome);
        },
      };
    },
  };
}

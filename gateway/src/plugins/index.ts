/**
 * The gateway's plugins in the order they run, and the ApolloServer settings that go with them.
 * Order matters where hooks are sequential (`responseForOperation`): the rate limiter comes before
 * anything that could answer without executing (a response cache), so cached answers are charged too.
 */
import type { ApolloServerOptionsWithGateway, ApolloServerPlugin } from "@apollo/server";
import type { Registry } from "prom-client";
import type { Logger } from "@agora/platform";
import type { AuditRecorder } from "@agora/platform/audit-events";
import type { GatewayConfig } from "../config.js";
import type { GatewayContext } from "../context.js";
import { auditRefusals } from "./audit-refusals.js";
import { hideSuggestions } from "./hide-suggestions.js";
import { landingPage } from "./landing-page.js";
import { createCostEstimator } from "./operation-cost.js";
import { operationLimits } from "./operation-limits.js";
import { rateLimit } from "./rate-limit.js";
import { responseCachePlugin, type ResponseCachePluginMetrics } from "./response-cache.js";
import type { ResponseCache } from "../caching/response-cache.js";

export type GatewayServerOptions = Pick<
  ApolloServerOptionsWithGateway<GatewayContext>,
  | "validationRules"
  | "parseOptions"
  | "introspection"
  | "hideSchemaDetailsFromClientErrors"
  | "allowBatchedHttpRequests"
  | "includeStacktraceInErrorResponses"
> & { plugins: ApolloServerPlugin<GatewayContext>[] };

export interface GatewayPluginDeps {
  registry: Registry;
  log: Logger;
  /** Where refusals are audited (rate limits, operation limits). */
  audit?: AuditRecorder | undefined;
  /** The response cache (caching/), when RESPONSE_CACHE_ENABLED; its plugin runs after the rate limiter. */
  responseCache?: { cache: ResponseCache; metrics: ResponseCachePluginMetrics } | undefined;
}

export function gatewayPlugins(config: GatewayConfig, deps: GatewayPluginDeps): GatewayServerOptions {
  const production = config.NODE_ENV === "production";
  const cost = createCostEstimator();
  const limits = operationLimits<GatewayContext>({
    maxDepth: config.OPERATION_MAX_DEPTH,
    maxAliases: config.OPERATION_MAX_ALIASES,
    maxRootFields: config.OPERATION_MAX_ROOT_FIELDS,
    maxDirectives: config.OPERATION_MAX_DIRECTIVES,
    maxTokens: config.OPERATION_MAX_TOKENS,
    maxCost: config.OPERATION_MAX_COST,
    cost,
    registry: deps.registry,
  });
  const plugins: ApolloServerPlugin<GatewayContext>[] = [landingPage(production), limits.plugin];
  if (production) plugins.push(hideSuggestions());
  if (config.RATE_LIMIT_ENABLED) {
    plugins.push(
      rateLimit({
        redisUrl: config.REDIS_URL,
        keyPrefix: config.REDIS_KEY_PREFIX,
        policies: {
          anonymous: config.RATE_LIMIT_ANONYMOUS,
          roles: { USER: config.RATE_LIMIT_USER, MODERATOR: config.RATE_LIMIT_MODERATOR, ADMIN: config.RATE_LIMIT_ADMIN },
          ip: config.RATE_LIMIT_IP,
          loginAccount: config.RATE_LIMIT_LOGIN_ACCOUNT,
          loginIp: config.RATE_LIMIT_LOGIN_IP,
        },
        readsWhenRedisDown: config.RATE_LIMIT_REDIS_DOWN_READS,
        writesWhenRedisDown: config.RATE_LIMIT_REDIS_DOWN_WRITES,
        redisTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
        cost,
        registry: deps.registry,
        log: deps.log,
      }),
    );
  }
  if (deps.responseCache) plugins.push(responseCachePlugin(deps.responseCache.cache, deps.responseCache.metrics));
  // Last: it only reads the answers the plugins above refused.
  if (deps.audit) {
    plugins.push(auditRefusals({ recorder: deps.audit, windowMs: config.AUDIT_REFUSAL_WINDOW_MS, maxKeys: config.AUDIT_REFUSAL_MAX_KEYS }));
  }
  return {
    plugins,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // Production: no schema for strangers (introspection off, no "Did you mean …" suggestions, no stack traces).
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: config.NODE_ENV === "development",
    allowBatchedHttpRequests: config.BATCHED_REQUESTS_ENABLED,
  };
}

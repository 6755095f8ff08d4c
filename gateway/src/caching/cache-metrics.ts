/** Hit and miss counts of the gateway's caches, per tier, on its /metrics. */
import { Counter, type Registry } from "prom-client";
import type { PlanCacheMetrics } from "./plan-cache.js";
import type { ResponseCacheMetrics } from "./response-cache.js";

export function createCacheMetrics(registry: Registry) {
  const lookups = new Counter({
    name: "agora_gateway_cache_lookups_total",
    help: "Cache lookups at the gateway by cache (plan, apq), tier (memory, redis) and outcome (hit, miss)",
    labelNames: ["cache", "tier", "outcome"],
    registers: [registry],
  });
  const planWaits = new Counter({
    name: "agora_gateway_plan_cache_waits_total",
    help: "Plan lookups that waited for another gateway planning the same operation, by outcome (hit, timeout)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: "agora_gateway_cache_redis_errors_total",
    help: "Cache operations that failed because Redis did not answer (the request went on without the cache)",
    labelNames: ["cache"],
    registers: [registry],
  });
  const plans = new Counter({
    name: "agora_gateway_plans_total",
    help: "Operations this gateway planned itself (not found in memory or Redis, or Redis unavailable)",
    registers: [registry],
  });
  const plan: PlanCacheMetrics = {
    planned: () => plans.inc(),
    lookup: (tier, outcome) => lookups.inc({ cache: "plan", tier, outcome }),
    waited: (outcome) => planWaits.inc({ outcome }),
    redisError: () => redisErrors.inc({ cache: "plan" }),
  };
  const apq = { lookup: (tier: "memory" | "redis", outcome: "hit" | "miss") => lookups.inc({ cache: "apq", tier, outcome }) };
  const responseRequests = new Counter({
    name: "agora_gateway_response_cache_requests_total",
    help: "Queries at the response cache by outcome (hit, miss, bypass: not cacheable now or asked not to) and tier (memory, redis, none)",
    labelNames: ["outcome", "tier"],
    registers: [registry],
  });
  const responseStores = new Counter({
    name: "agora_gateway_response_cache_stores_total",
    help: "Cacheable responses by outcome (stored; raced: a tag was invalidated while the query ran, so not stored)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const invalidations = new Counter({
    name: "agora_gateway_response_cache_invalidations_total",
    help: "Invalidation messages this gateway heard from writers (subgraphs, workers)",
    registers: [registry],
  });
  const invalidatedTags = new Counter({
    name: "agora_gateway_response_cache_invalidated_tags_total",
    help: "Tags (entities, types, lists) those invalidations retired",
    registers: [registry],
  });
  const response: ResponseCacheMetrics & { request(result: "hit" | "miss" | "bypass", tier: "memory" | "redis" | "none"): void } = {
    request: (outcome, tier) => responseRequests.inc({ outcome, tier }),
    stored: (outcome) => responseStores.inc({ outcome }),
    invalidated: (tags) => {
      invalidations.inc();
      invalidatedTags.inc(tags);
    },
    redisError: () => redisErrors.inc({ cache: "response" }),
  };
  return { plan, apq, response };
}

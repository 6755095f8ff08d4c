/** Hit and miss counts of the gateway's caches, per tier, on its /metrics. */
import { Counter, type Registry } from "prom-client";
import type { PlanCacheMetrics } from "./plan-cache.js";

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
  return { plan, apq };
}

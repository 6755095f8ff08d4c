/**
 * The gateway's shared caches, wired from configuration: the two-tier query-plan cache, APQ and
 * the response cache (served and filled by plugins/response-cache.ts).
 * `server.ts` passes `queryPlannerConfig` to ApolloGateway and `persistedQueries` to ApolloServer,
 * calls `warmUp()` before listening and `close()` after Apollo stops.
 */
import type { Logger } from "@agora/platform";
import { createRedis, type Redis } from "@agora/platform";
import type { Registry } from "prom-client";
import type { GatewayConfig } from "../config.js";
import { createCacheMetrics } from "./cache-metrics.js";
import { PersistedQueryStore } from "./persisted-queries.js";
import { SharedPlanCache } from "./plan-cache.js";
import { ResponseCache } from "./response-cache.js";

export function createGatewayCaches(config: GatewayConfig, supergraphSdl: string, registry: Registry, log: Logger) {
  const metrics = createCacheMetrics(registry);
  const needsRedis = config.PLAN_CACHE_SHARED || config.APQ_ENABLED || config.RESPONSE_CACHE_ENABLED;
  const redis: Redis | undefined = needsRedis ? createRedis(config.REDIS_URL) : undefined;
  redis?.on("error", (error) => log.warn({ err: error }, "gateway caches: Redis error"));
  const planCache =
    redis && config.PLAN_CACHE_SHARED
      ? new SharedPlanCache({
          redis,
          keyPrefix: config.REDIS_KEY_PREFIX,
          supergraphSdl,
          memoryEntries: config.PLAN_CACHE_MEMORY_ENTRIES,
          ttlSeconds: config.PLAN_CACHE_TTL_SECONDS,
          metrics: metrics.plan,
          log,
        })
      : undefined;
  const persistedQueries =
    redis && config.APQ_ENABLED
      ? {
          cache: new PersistedQueryStore({ redis, keyPrefix: config.REDIS_KEY_PREFIX, metrics: metrics.apq }),
          ttl: config.APQ_TTL_SECONDS,
        }
      : (false as const);
  let responseCache: ResponseCache | undefined;
  if (redis && config.RESPONSE_CACHE_ENABLED) {
    const subscriber = redis.duplicate();
    subscriber.on("error", () => undefined); // the cache says itself when it loses the channel
    responseCache = new ResponseCache({
      redis,
      subscriber,
      keyPrefix: config.REDIS_KEY_PREFIX,
      memoryEntries: config.RESPONSE_CACHE_MEMORY_ENTRIES,
      maxAgeCapSeconds: config.RESPONSE_CACHE_MAX_AGE_SECONDS,
      metrics: metrics.response,
      log,
    });
    responseCache.useSupergraph(supergraphSdl);
  }
  return {
    planCache,
    responseCache,
    /** For plugins/response-cache.ts: hit, miss and bypass counts. */
    responseMetrics: metrics.response,
    /** For ApolloGateway; undefined keeps its own in-process plan store. */
    queryPlannerConfig: planCache ? { cache: planCache } : undefined,
    persistedQueries,
    async warmUp(): Promise<void> {
      if (!planCache) return;
      try {
        const loaded = await planCache.warmUp(config.PLAN_CACHE_WARMUP_COUNT);
        log.info({ loaded }, "plan cache warmed up");
      } catch (error) {
        log.warn({ err: error }, "plan cache: warm-up skipped (Redis unavailable)");
      }
    },
    async close(): Promise<void> {
      await planCache?.close();
      responseCache?.close();
      redis?.disconnect();
    },
  };
}

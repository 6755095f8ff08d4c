/**
 * Invalidation of the gateways' response cache, called by every writer: the subgraphs' mutations
 * and the workers (a processed image, a moderation verdict). The gateway is not the only place data
 * changes, so the gateway cannot invalidate by itself; each writer says what it changed, as tags.
 *
 * Tags name what a cached response depends on: an entity (`Offer:<id>`, `User:<id>`,
 * `Review:<id>`), the type as a whole (`Offer`: a response that shows an offer whose id it did not
 * select), or a root list (`Query.offers`). Writers name entities and lists; `invalidateCache`
 * adds the type tag of every entity itself.
 *
 * Design: keyed generations plus pub/sub, in one Lua script (atomic, one round trip):
 *   - `<prefix>rcache:seq` is one sequence number for the whole cache; each invalidation takes the
 *     next one, never below Redis's clock in microseconds, so the sequence stays monotonic even
 *     after a Redis restart (nothing is persisted here) and a gateway's memory of old generations
 *     can never make a new one look older;
 *   - each tag's generation (`<prefix>rcache:gen:<tag>`) becomes that number;
 *   - the tags and the number are PUBLISHed on `<prefix>rcache:invalidations`, so every gateway's
 *     in-process front learns at once, without asking Redis on a hit.
 * A gateway reads the sequence before it executes a query and stores the result only if none of
 * its tags has a newer generation than that: a read that raced a write is never stored. A stored
 * entry keeps its tags' generations; it is served only while they are still current.
 *
 * Call AFTER the write has committed (a gateway that re-reads on the message must see the new
 * state) and before answering the client (the writer's next read is then fresh on every gateway).
 * It never throws into the write path: a write is done whether or not caches heard of it. If Redis
 * is unreachable the write is logged and the message lost; the gateways are then also without
 * Redis and bypass their cache (they fail closed while their invalidation subscription is down),
 * and entries written before expire by their max age.
 */
import type { Logger } from "./logger.js";
import type { Redis } from "./redis.js";
import { withTimeout } from "./with-timeout.js";

export const responseCacheKeys = {
  sequence: (keyPrefix: string) => `${keyPrefix}rcache:seq`,
  generation: (keyPrefix: string, tag: string) => `${keyPrefix}rcache:gen:${tag}`,
  channel: (keyPrefix: string) => `${keyPrefix}rcache:invalidations`,
  entry: (keyPrefix: string, key: string) => `${keyPrefix}rcache:entry:${key}`,
};

/** The tags writers name. Entity tags are `<__typename>:<id>`, as the gateway collects them from results. */
export const cacheTags = {
  offer: (id: string) => `Offer:${id}`,
  user: (id: string) => `User:${id}`,
  review: (id: string) => `Review:${id}`,
  /** A root list field whose members may change: `Query.offers`, `Query.searchOffers`. */
  list: (field: string) => `Query.${field}`,
  /** Every list of offers (`offers`, `searchOffers`): what any offer write may change. */
  offerLists: () => ["Query.offers", "Query.searchOffers"],
};

/**
 * Generations outlive every cache entry (entries live at most their max age, capped by the gateway
 * at minutes), so an entry can never see its tag's key expire and come back with an old number.
 */
export const generationTtlSeconds = 7 * 24 * 3600;

/** KEYS: sequence, generation keys…; ARGV: channel, generation TTL, tags joined by spaces. */
const invalidateScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
if seq < now then seq = now end
local s = string.format('%.0f', seq)
redis.call('SET', KEYS[1], s)
for i = 2, #KEYS do redis.call('SET', KEYS[i], s, 'EX', ARGV[2]) end
redis.call('PUBLISH', ARGV[1], s .. ' ' .. ARGV[3])
return s
`;

export interface CacheInvalidator {
  /** Bumps the tags' generations and tells every gateway. Never throws. */
  invalidate(tags: readonly string[]): Promise<void>;
  /** Releases the connection, when the invalidator owns one. */
  close?(): void;
}

/** For code run without a response cache (unit tests of one package, scripts). */
export const noCacheInvalidation: CacheInvalidator = { invalidate: async () => {} };

export interface CacheInvalidatorOptions {
  /** A command connection (not a subscriber). */
  redis: Redis;
  /** REDIS_KEY_PREFIX, the same as the gateways'. */
  keyPrefix: string;
  log: Pick<Logger, "warn">;
  /** Longest wait for Redis; a write never waits longer for its invalidation. @defaultValue 500 */
  timeoutMs?: number;
}

/** `Offer:1` → `Offer`; tags without an id (`Query.offers`, `Offer`) have no type tag. */
export function typeTagOf(tag: string): string | null {
  const colon = tag.indexOf(":");
  return colon > 0 ? tag.slice(0, colon) : null;
}

/** The tags with the type tag of every entity tag added, deduplicated. */
export function expandTags(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const tag of tags) {
    if (!tag || /\s/.test(tag)) continue;
    out.add(tag);
    const type = typeTagOf(tag);
    if (type) out.add(type);
  }
  return [...out];
}

/** A message of the invalidation channel: the generation the tags now have, and the tags. */
export function parseInvalidationMessage(message: string): { generation: number; tags: string[] } | null {
  const [first, ...tags] = message.split(" ");
  const generation = Number(first);
  if (!Number.isSafeInteger(generation) || generation <= 0) return null;
  return { generation, tags: tags.filter(Boolean) };
}

export function createCacheInvalidator(options: CacheInvalidatorOptions): CacheInvalidator {
  const timeoutMs = options.timeoutMs ?? 500;
  return {
    async invalidate(tags) {
      const expanded = expandTags(tags);
      if (expanded.length === 0) return;
      const keys = [
        responseCacheKeys.sequence(options.keyPrefix),
        ...expanded.map((tag) => responseCacheKeys.generation(options.keyPrefix, tag)),
      ];
      try {
        await withTimeout(
          options.redis.eval(
            invalidateScript,
            keys.length,
            ...keys,
            responseCacheKeys.channel(options.keyPrefix),
            String(generationTtlSeconds),
            expanded.join(" "),
          ),
          timeoutMs,
          "Redis (response cache invalidation)",
        );
      } catch (error) {
        options.log.warn({ err: error, tags: expanded }, "response cache not invalidated (Redis); cached entries expire by their max age");
      }
    },
  };
}

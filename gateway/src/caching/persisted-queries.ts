/**
 * Automatic persisted queries (APQ) shared by both gateways: a client sends the query's SHA-256
 * hash, and the full text only when the gateway answers PERSISTED_QUERY_NOT_FOUND. The store is
 * Redis, so a hash registered through one gateway is known to the other; an in-process LRU in front
 * serves hot hashes without a round trip (an entry never changes: the key is the text's hash).
 */
import type { KeyValueCache, KeyValueCacheSetOptions } from "@apollo/utils.keyvaluecache";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";

export interface PersistedQueryStoreOptions {
  redis: Redis;
  /** Prefix of every key (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  /** Query texts kept in the process. @defaultValue 2000 */
  memoryEntries?: number;
  metrics?: { lookup(tier: "memory" | "redis", outcome: "hit" | "miss"): void };
}

export class PersistedQueryStore implements KeyValueCache<string> {
  private readonly memory: LRUCache<string, string>;

  constructor(private readonly options: PersistedQueryStoreOptions) {
    this.memory = new LRUCache({ max: options.memoryEntries ?? 2000 });
  }

  private key = (hash: string) => `${this.options.keyPrefix}apq:${hash}`;

  async get(hash: string): Promise<string | undefined> {
    const local = this.memory.get(hash);
    this.options.metrics?.lookup("memory", local === undefined ? "miss" : "hit");
    if (local !== undefined) return local;
    const shared = await this.options.redis.get(this.key(hash));
    this.options.metrics?.lookup("redis", shared === null ? "miss" : "hit");
    if (shared === null) return undefined;
    this.memory.set(hash, shared);
    return shared;
  }

  async set(hash: string, query: string, options?: KeyValueCacheSetOptions): Promise<void> {
    this.memory.set(hash, query);
    const ttl = options?.ttl;
    if (ttl) await this.options.redis.set(this.key(hash), query, "EX", Math.ceil(ttl));
    else await this.options.redis.set(this.key(hash), query);
  }

  async delete(hash: string): Promise<boolean> {
    this.memory.delete(hash);
    return (await this.options.redis.del(this.key(hash))) > 0;
  }
}

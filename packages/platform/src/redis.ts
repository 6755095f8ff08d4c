import { Redis, type RedisOptions } from "ioredis";

export { Redis };

/**
 * An ioredis client that fails fast instead of queueing commands forever while Redis is down, so
 * callers can answer SERVICE_UNAVAILABLE naming Redis and its address.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...options,
  });
}

export function describeRedisUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 6379}`;
}

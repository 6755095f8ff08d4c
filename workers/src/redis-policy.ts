/**
 * BullMQ keeps queues, locks and schedules in ordinary Redis keys: a Redis that evicts keys under
 * memory pressure silently loses jobs. The pool therefore refuses to start unless
 * `maxmemory-policy` is `noeviction`.
 */
import { describeRedisUrl, type Redis } from "@agora/platform";

export class EvictionPolicyError extends Error {
  override name = "EvictionPolicyError";
}

/** Reads maxmemory-policy with CONFIG GET, or from INFO memory where CONFIG is disabled (managed Redis). */
export async function readEvictionPolicy(redis: Redis): Promise<string> {
  try {
    const reply = (await redis.config("GET", "maxmemory-policy")) as string[];
    const value = reply[1];
    if (value) return value;
  } catch {
    // CONFIG renamed or disabled: INFO is always there.
  }
  const info = await redis.info("memory");
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  if (!match?.[1]) throw new EvictionPolicyError("Could not read Redis maxmemory-policy (neither CONFIG GET nor INFO memory reports it).");
  return match[1];
}

export async function assertNoEviction(redis: Redis, url: string): Promise<void> {
  const policy = await readEvictionPolicy(redis);
  if (policy !== "noeviction") {
    throw new EvictionPolicyError(
      `Redis at ${describeRedisUrl(url)} has maxmemory-policy "${policy}"; BullMQ needs "noeviction" or jobs are lost when memory runs short. ` +
        "Set it with `redis-cli -u <REDIS_URL> CONFIG SET maxmemory-policy noeviction` (and `maxmemory-policy noeviction` in redis.conf), then start the workers again.",
    );
  }
}

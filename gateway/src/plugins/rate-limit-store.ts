/**
 * Rate-limit decisions with GCRA (the generic cell rate algorithm, as in redis-cell): each bucket
 * is one number, its "theoretical arrival time" (TAT). Spending `cost` points moves the TAT on by
 * cost × interval (interval = window / limit); a request conforms if the new TAT lies at most
 * burst × interval ahead of now. That is a sliding window without window edges: exact (no
 * approximation, unlike a sliding-window counter), O(1) memory per bucket, and the time until a
 * refused request would fit (Retry-After) falls out of the arithmetic.
 *
 * One decision may touch several buckets (user, IP, login account…): they are checked and charged
 * together in one Lua script, all or nothing, on Redis's clock (TIME inside the script), so every
 * gateway sharing the Redis sees one order of events and N requests against a limit of N pass
 * exactly N times, whichever gateway they reach. No library does multi-bucket GCRA in one round
 * trip (rate-limiter-flexible's Redis limiters are fixed-window or one key per call), so the script
 * is ours; `MemoryGcra` is the same arithmetic for the per-process fallback.
 */
import type { Redis } from "@agora/platform";
import { emissionIntervalMs, type RateLimitPolicy } from "./rate-limit-policy.js";

export interface BucketCharge {
  /** Policy name shown in the RateLimit headers, e.g. "user". */
  name: string;
  /** Redis key (prefixed) or memory key of the bucket. */
  key: string;
  policy: RateLimitPolicy;
  /** Points to spend; more than the bucket holds is charged as a full bucket. */
  cost: number;
}

export interface BucketState {
  name: string;
  policy: RateLimitPolicy;
  /** Whole points left after this decision. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

export interface Decision {
  allowed: boolean;
  /** When refused: milliseconds until the same request would pass. */
  retryAfterMs: number;
  buckets: BucketState[];
}

export interface GcraStore {
  consume(charges: readonly BucketCharge[]): Promise<Decision>;
}

// KEYS: one per bucket. ARGV: per bucket, its interval in ms, its burst and the cost in points.
// Returns { allowed, retryAfterMs, remaining1, resetMs1, remaining2, resetMs2, … }.
const gcraScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local allowed = 1
local retry = 0
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local newTat = tat + cost * interval
  local allowAt = newTat - burst * interval
  if allowAt > now then
    allowed = 0
    if allowAt - now > retry then retry = allowAt - now end
  end
  tats[i] = { tat, newTat }
end
local result = { allowed, math.ceil(retry) }
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local tat = tats[i][1]
  if allowed == 1 then
    tat = tats[i][2]
    redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1)
  end
  result[#result + 1] = math.max(0, math.floor((burst * interval - (tat - now)) / interval + 1e-9))
  result[#result + 1] = math.ceil(tat - now)
end
return result
`;

type GcraRedis = Redis & { agoraGcra(keys: number, ...args: (string | number)[]): Promise<number[]> };

/** What a charge actually spends: at least one point, at most a full bucket. */
export const chargedCost = (charge: BucketCharge) => Math.max(1, Math.min(charge.cost, charge.policy.burst));

function toDecision(charges: readonly BucketCharge[], raw: number[]): Decision {
  return {
    allowed: raw[0] === 1,
    retryAfterMs: raw[1] ?? 0,
    buckets: charges.map((charge, i) => ({
      name: charge.name,
      policy: charge.policy,
      remaining: raw[2 + i * 2] ?? 0,
      resetMs: raw[3 + i * 2] ?? 0,
    })),
  };
}

/** GCRA in Redis; a script error or a lost connection rejects (the caller decides how to fail). */
export function redisGcra(redis: Redis): GcraStore {
  // defineCommand sends EVALSHA and falls back to EVAL once when Redis does not know the script yet.
  if (!("agoraGcra" in redis)) redis.defineCommand("agoraGcra", { lua: gcraScript });
  const client = redis as GcraRedis;
  return {
    async consume(charges) {
      const args = charges.flatMap((charge) => [emissionIntervalMs(charge.policy), charge.policy.burst, chargedCost(charge)]);
      const raw = await client.agoraGcra(charges.length, ...charges.map((c) => c.key), ...args);
      return toDecision(charges, raw);
    },
  };
}

/**
 * The same arithmetic in this process's memory, on its clock: the fallback while Redis is
 * unreachable. Each gateway counts on its own, so behind two gateways a client gets up to twice
 * its budget during an outage.
 */
export class MemoryGcra implements GcraStore {
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
    private readonly maxBuckets = 100_000,
  ) {}

  async consume(charges: readonly BucketCharge[]): Promise<Decision> {
    const now = this.now();
    let allowed = true;
    let retry = 0;
    const next = charges.map((charge) => {
      const interval = emissionIntervalMs(charge.policy);
      const tat = Math.max(this.tats.get(charge.key) ?? 0, now);
      const newTat = tat + chargedCost(charge) * interval;
      const allowAt = newTat - charge.policy.burst * interval;
      if (allowAt > now) {
        allowed = false;
        retry = Math.max(retry, allowAt - now);
      }
      return { charge, interval, tat, newTat };
    });
    if (allowed && this.tats.size + charges.length > this.maxBuckets) this.prune(now);
    const raw: number[] = [allowed ? 1 : 0, Math.ceil(retry)];
    for (const { charge, interval, tat, newTat } of next) {
      const kept = allowed ? newTat : tat;
      if (allowed) this.tats.set(charge.key, kept);
      raw.push(Math.max(0, Math.floor((charge.policy.burst * interval - (kept - now)) / interval + 1e-9)), Math.ceil(kept - now));
    }
    return toDecision(charges, raw);
  }

  /** Full buckets carry no information; dropping them bounds memory during a long outage. */
  private prune(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}

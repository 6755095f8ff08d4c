/**
 * The query-plan cache both gateways share: an in-process LRU in front of Redis.
 *
 * `@apollo/gateway` looks a plan up by the operation's hash (plus its name) before planning, and
 * stores what it planned (`queryPlannerConfig.cache`). Its own key has no schema id and it calls
 * `clear()` on every supergraph update, so the Redis tier puts the supergraph's hash and the
 * planner's version into every key and `clear()` empties only the process's LRU: plans of a
 * superseded supergraph are never read again and expire by their TTL.
 *
 * Planning is CPU-heavy, so only one gateway plans an operation at a time: on a miss in both tiers,
 * the first gateway takes a short lock in Redis (SET NX PX) and plans; another gateway that misses
 * meanwhile waits for that plan to appear instead of planning too. Each lookup also counts the
 * operation's use in a sorted set, so a gateway that starts loads the most-used plans into its LRU
 * before it reports ready (`warmUp`).
 *
 * Plans are plain data (`exposeDocumentNodeInFetchNode` stays off), so JSON is a faithful encoding.
 */
import { createHash, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { QueryPlan, QueryPlanCache } from "@apollo/query-planner";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";

export interface PlanCacheMetrics {
  lookup(tier: "memory" | "redis", outcome: "hit" | "miss"): void;
  /** A lookup that waited for another gateway's plan: `hit` when it arrived in time. */
  waited(outcome: "hit" | "timeout"): void;
  redisError(): void;
  /** The gateway planned an operation itself (it stores every plan it makes). */
  planned(): void;
}

export interface PlanCacheOptions {
  redis: Redis;
  /** Prefix of every key (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  /** The supergraph SDL the plans are for: its hash scopes the shared tier. */
  supergraphSdl: string;
  /** Plans kept in the process. @defaultValue 1000 */
  memoryEntries?: number;
  /** How long a plan lives in Redis after it was last written. @defaultValue 86400 */
  ttlSeconds?: number;
  /** How long a gateway waits for another one's plan before planning itself. @defaultValue 2000 */
  lockWaitMs?: number;
  /** How long the planning lock lives if its holder dies before storing the plan. @defaultValue 5000 */
  lockTtlMs?: number;
  /** How often use counts (for warm-up) are added up in Redis. @defaultValue 5000 */
  usageFlushMs?: number;
  metrics?: PlanCacheMetrics;
  log: { warn(details: object, message: string): void };
}

const require = createRequire(import.meta.url);
/** Plans from another planner version may differ in shape: they never share a key. */
export const plannerVersion: string = (require("@apollo/query-planner/package.json") as { version: string }).version;

const pollMs = 25;

/** A Lua script and its SHA-1, run by EVALSHA (EVAL the first time a Redis has not seen it). */
const script = (source: string) => ({ source, sha: createHash("sha1").update(source).digest("hex") });

/**
 * KEYS: plan, lock; ARGV: lock TTL in ms, this planner's token. Returns {plan or "", 1 if this caller
 * took the lock}.
 */
const getOrLock = script(`
local plan = redis.call("GET", KEYS[1])
if plan then return {plan, 0} end
if redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[1], "NX") then return {"", 1} end
return {"", 0}
`);

/**
 * KEYS: plan, lock; ARGV: plan JSON, TTL in s, this planner's token (or ""). Stores the plan and
 * releases the lock only if it is still this planner's: a lock that expired and was taken by
 * another gateway stays that gateway's.
 */
const storeAndRelease = script(`
redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[2])
if ARGV[3] ~= "" and redis.call("GET", KEYS[2]) == ARGV[3] then redis.call("DEL", KEYS[2]) end
return 1
`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharedPlanCache implements QueryPlanCache {
  private readonly memory: LRUCache<string, QueryPlan>;
  private scope = "";
  private readonly ttlSeconds: number;
  private readonly lockWaitMs: number;
  private readonly lockTtlMs: number;
  /** Lookups whose plan this process is planning now, with its lock token, to release it once stored. */
  private readonly planning = new Map<string, string>();
  /** Uses since the last flush, so counting costs no Redis round trip per request. */
  private readonly uses = new Map<string, number>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(private readonly options: PlanCacheOptions) {
    this.memory = new LRUCache({ max: options.memoryEntries ?? 1000 });
    this.useSupergraph(options.supergraphSdl);
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
    this.lockWaitMs = options.lockWaitMs ?? 2000;
    this.lockTtlMs = options.lockTtlMs ?? 5000;
    this.flushTimer = setInterval(() => void this.flushUses(), options.usageFlushMs ?? 5000);
    this.flushTimer.unref();
  }

  /**
   * Scopes the shared tier to `supergraphSdl` (call it on every supergraph update, with the new
   * SDL): plans of another supergraph are never read, and expire by their TTL.
   */
  useSupergraph(supergraphSdl: string): void {
    const schemaHash = createHash("sha256").update(supergraphSdl).digest("hex").slice(0, 16);
    const scope = `${this.options.keyPrefix}plan:${schemaHash}:${plannerVersion}:`;
    if (scope === this.scope) return;
    this.scope = scope;
    this.memory.clear();
    this.planning.clear();
    this.uses.clear();
  }

  private planKey = (key: string) => `${this.scope}p:${key}`;
  private lockKey = (key: string) => `${this.scope}lock:${key}`;
  private get usageKey() {
    return `${this.scope}usage`;
  }

  async get(key: string): Promise<QueryPlan | undefined> {
    this.countUse(key);
    const local = this.memory.get(key);
    this.options.metrics?.lookup("memory", local ? "hit" : "miss");
    if (local) return local;
    try {
      // One atomic step: the plan if there is one, else the planning lock if nobody holds it. (A
      // GET then SET NX would let a gateway take the lock just after another stored the plan.)
      const token = randomUUID();
      const [raw, locked] = await this.getOrLock(key, token);
      this.options.metrics?.lookup("redis", raw ? "hit" : "miss");
      if (raw) return this.remember(key, raw);
      if (locked) {
        this.planning.set(key, token);
        return undefined;
      }
      return await this.waitForPlan(key);
    } catch (error) {
      // Redis trouble never fails a request: the gateway plans locally.
      this.options.metrics?.redisError();
      this.options.log.warn({ err: error }, "plan cache: Redis unavailable, planning locally");
      return undefined;
    }
  }

  async set(key: string, plan: QueryPlan): Promise<void> {
    this.options.metrics?.planned();
    this.memory.set(key, plan);
    const token = this.planning.get(key) ?? "";
    this.planning.delete(key);
    try {
      await this.run(storeAndRelease, [this.planKey(key), this.lockKey(key)], [JSON.stringify(plan), String(this.ttlSeconds), token]);
    } catch (error) {
      this.options.metrics?.redisError();
      this.options.log.warn({ err: error }, "plan cache: could not store a plan in Redis");
    }
  }

  async delete(key: string): Promise<boolean> {
    this.memory.delete(key);
    await this.options.redis.del(this.planKey(key)).catch(() => 0);
    return true;
  }

  /** Called by @apollo/gateway on every supergraph update; the shared tier is re-scoped by `useSupergraph`. */
  clear(): void {
    this.memory.clear();
  }

  /**
   * Loads the `count` most-used plans of this supergraph from Redis into the LRU. Returns how many
   * were loaded. Run before reporting ready, so a gateway that starts or takes over does not plan
   * the hot operations under load.
   */
  async warmUp(count = 200): Promise<number> {
    const keys = await this.options.redis.zrevrange(this.usageKey, 0, Math.max(0, count - 1));
    if (keys.length === 0) return 0;
    const values = await this.options.redis.mget(keys.map(this.planKey));
    let loaded = 0;
    values.forEach((value, i) => {
      const key = keys[i];
      if (value && key) {
        this.memory.set(key, JSON.parse(value) as QueryPlan);
        loaded++;
      }
    });
    return loaded;
  }

  private remember(key: string, raw: string): QueryPlan {
    const plan = JSON.parse(raw) as QueryPlan;
    this.memory.set(key, plan);
    return plan;
  }

  private async readShared(key: string): Promise<QueryPlan | undefined> {
    const raw = await this.options.redis.get(this.planKey(key));
    return raw ? this.remember(key, raw) : undefined;
  }

  private async getOrLock(key: string, token: string): Promise<[string | null, boolean]> {
    const reply = await this.run(getOrLock, [this.planKey(key), this.lockKey(key)], [String(this.lockTtlMs), token]);
    const [raw, locked] = reply as [string | null, number];
    return [raw || null, locked === 1];
  }

  private async run(lua: { source: string; sha: string }, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.options.redis.evalsha(lua.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes("NOSCRIPT")) throw error;
      return this.options.redis.eval(lua.source, keys.length, ...keys, ...args);
    }
  }

  private async waitForPlan(key: string): Promise<QueryPlan | undefined> {
    const deadline = Date.now() + this.lockWaitMs;
    while (Date.now() < deadline) {
      await sleep(pollMs);
      const plan = await this.readShared(key);
      if (plan) {
        this.options.metrics?.waited("hit");
        return plan;
      }
      // The planner gave up or died (its lock expired): plan here instead of waiting out the deadline.
      if (!(await this.options.redis.exists(this.lockKey(key)))) break;
    }
    this.options.metrics?.waited("timeout");
    return undefined;
  }

  private countUse(key: string): void {
    this.uses.set(key, (this.uses.get(key) ?? 0) + 1);
  }

  /**
   * Adds this process's use counts to the shared ranking and keeps its `maxTracked` most-used
   * entries. A lost flush (Redis down) only makes warm-up a little less informed.
   */
  async flushUses(maxTracked = 10_000): Promise<void> {
    if (this.uses.size === 0) return;
    const pipeline = this.options.redis.pipeline();
    for (const [key, n] of this.uses) pipeline.zincrby(this.usageKey, n, key);
    this.uses.clear();
    pipeline.zremrangebyrank(this.usageKey, 0, -(maxTracked + 1));
    pipeline.expire(this.usageKey, this.ttlSeconds);
    await pipeline.exec().catch(() => undefined);
  }

  /** Flushes the use counts and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushUses();
  }
}

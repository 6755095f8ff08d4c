/**
 * The response cache both gateways share: whole GraphQL results in Redis, with an in-process LRU
 * in front, retired by the writers' invalidations (`@agora/platform`'s cache-invalidation.ts
 * explains the generations and the channel). `plugins/response-cache.ts` decides what may be
 * cached and under which key; this file keeps entries and decides whether one is still current.
 *
 * An entry carries its tags and the generation each had when it was stored. It is served only
 * while every tag still has that generation. The gateway keeps the generations it has seen in
 * memory, updated by the invalidation channel, so a memory hit asks Redis nothing: when no
 * invalidation arrived since the entry was last checked (one epoch counter), not even the tags
 * are compared. A tag this gateway has not seen yet is read from Redis (one MGET) once.
 *
 * Storing is guarded against a read that raced a write: before a query executes, the lookup reads
 * the invalidation sequence; after it ran, the result is stored only if none of its tags was
 * invalidated since (generation ≤ that sequence). A write that committed during execution thus
 * never leaves its old data behind, on either gateway.
 *
 * Fail closed: while the invalidation subscription is down (Redis unreachable, reconnecting), the
 * gateway could miss a write, so it serves nothing from the cache and stores nothing; requests go
 * to the subgraphs. When the subscription is back, the in-process entries and remembered
 * generations are dropped (any message may have been missed); entries in Redis are checked against
 * the generations there. A write whose writer could not reach Redis at all is the one case left:
 * its entries in Redis live out their max age (capped by RESPONSE_CACHE_MAX_AGE_SECONDS).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { parseInvalidationMessage, responseCacheKeys } from "@agora/platform";

export type CacheScope = "PUBLIC" | "PRIVATE";

export interface CachedResponse {
  /** The result as clients get it (`data` only: results with errors are never stored). */
  result: { data: Record<string, unknown> };
  /**
   * The same, serialised as Apollo would send it, for answering without Apollo
   * (http/cached-responses.ts). A string, not a Buffer: Node writes a string body in one write
   * with the headers, a Buffer in a second chunk (writev), which costs more than the rest of a hit.
   */
  body: string;
  /** `body`'s length in bytes (Content-Length). */
  byteLength: number;
  /** The operation's name as resolved from the document (for metrics), or null. */
  operationName: string | null;
  tags: string[];
  generations: number[];
  storedAt: number;
  maxAge: number;
  scope: CacheScope;
  /** The invalidation epoch at which the entry was last found current. */
  checkedAtEpoch: number;
}

export type Lookup =
  | { kind: "hit"; entry: CachedResponse; tier: "memory" | "redis" }
  /** Not cached (or no longer current); `sequence` is the invalidation sequence read before execution. */
  | { kind: "miss"; sequence: number }
  /** The cache cannot be trusted now (Redis or the subscription is down). */
  | { kind: "bypass" };

export interface ResponseCacheMetrics {
  invalidated(tags: number): void;
  redisError(): void;
  stored(outcome: "stored" | "raced"): void;
}

export interface ResponseCacheOptions {
  /** A command connection. */
  redis: Redis;
  /** A connection of its own for the invalidation channel (it is in subscriber mode). */
  subscriber: Redis;
  keyPrefix: string;
  /** Entries kept in the process. @defaultValue 10000 */
  memoryEntries?: number;
  /** Remembered tag generations. @defaultValue 100000 */
  memoryGenerations?: number;
  /** No entry lives longer, whatever the subgraphs allow. @defaultValue 300 */
  maxAgeCapSeconds?: number;
  /** Larger results are not cached (they would crowd the LRU out). @defaultValue 524288 */
  maxBodyBytes?: number;
  metrics?: ResponseCacheMetrics;
  log: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class ResponseCache {
  private readonly memory: LRUCache<string, CachedResponse>;
  /** Tag → the newest generation this gateway has seen (only ever raised). */
  private readonly generations: LRUCache<string, number>;
  /** Moves on every invalidation heard and every resubscription: entries checked at an older epoch are compared again. */
  private epoch = 0;
  private subscribed = false;
  private closed = false;
  private schemaHash = "";
  private readonly maxAgeCap: number;
  private readonly maxBodyBytes: number;
  private readonly channel: string;

  constructor(private readonly options: ResponseCacheOptions) {
    this.memory = new LRUCache({ max: options.memoryEntries ?? 10_000 });
    this.generations = new LRUCache({ max: options.memoryGenerations ?? 100_000 });
    this.maxAgeCap = options.maxAgeCapSeconds ?? 300;
    this.maxBodyBytes = options.maxBodyBytes ?? 512 * 1024;
    this.channel = responseCacheKeys.channel(options.keyPrefix);
    const { subscriber } = options;
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channel) this.heard(message);
    });
    // Down at the first sign of trouble; up only once Redis confirmed the subscription again.
    const down = () => {
      if (this.subscribed) options.log.warn({}, "response cache: invalidation channel lost, bypassing the cache until it is back");
      this.subscribed = false;
    };
    subscriber.on("close", down);
    subscriber.on("end", down);
    subscriber.on("reconnecting", down);
    subscriber.on("ready", () => void this.subscribe());
    if (subscriber.status === "ready") void this.subscribe();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.options.subscriber.subscribe(this.channel);
    } catch (error) {
      this.options.log.warn({ err: error }, "response cache: could not subscribe to invalidations");
      return;
    }
    if (this.closed) return;
    // Whatever was remembered may have missed a message while unsubscribed: generations and entries.
    this.generations.clear();
    this.memory.clear();
    this.epoch++;
    this.subscribed = true;
  }

  /** Whether the cache may be used now (its invalidations are being heard). */
  get available(): boolean {
    return this.subscribed;
  }

  /** Scopes entries to a supergraph (call on every supergraph update): another schema's results are never served. */
  useSupergraph(supergraphSdl: string): void {
    const hash = sha256(supergraphSdl).slice(0, 16);
    if (hash === this.schemaHash) return;
    this.schemaHash = hash;
    this.memory.clear();
  }

  /** The key of one operation for one audience (`anonymous` or a user). */
  keyOf(audience: string, operationName: string | null | undefined, queryHash: string, variables: unknown): string {
    return `${this.schemaHash}\n${audience}\n${operationName ?? ""}\n${queryHash}\n${JSON.stringify(variables ?? {})}`;
  }

  private heard(message: string): void {
    const parsed = parseInvalidationMessage(message);
    if (!parsed) return;
    for (const tag of parsed.tags) this.raise(tag, parsed.generation);
    this.epoch++;
    this.options.metrics?.invalidated(parsed.tags.length);
  }

  private raise(tag: string, generation: number): void {
    const known = this.generations.get(tag);
    if (known === undefined || generation > known) this.generations.set(tag, generation);
  }

  /** `current` / `stale` from remembered generations, or `unknown` when some tag must be read from Redis. */
  private compareLocally(entry: CachedResponse): "current" | "stale" | "unknown" {
    let unknown = false;
    for (let i = 0; i < entry.tags.length; i++) {
      const known = this.generations.get(entry.tags[i] as string);
      if (known === undefined) unknown = true;
      else if (known > (entry.generations[i] as number)) return "stale";
      else if (known < (entry.generations[i] as number)) unknown = true; // stored by a gateway that heard a message we have not yet
    }
    return unknown ? "unknown" : "current";
  }

  private async readGenerations(tags: readonly string[]): Promise<number[]> {
    if (tags.length === 0) return [];
    const values = await this.options.redis.mget(tags.map((tag) => responseCacheKeys.generation(this.options.keyPrefix, tag)));
    return values.map((value, i) => {
      const generation = value ? Number(value) : 0;
      this.raise(tags[i] as string, generation);
      return generation;
    });
  }

  /** Asks Redis for the tags this gateway is unsure of; then compares all. */
  private async verify(entry: CachedResponse): Promise<boolean> {
    const unsure = entry.tags.filter((tag, i) => this.generations.get(tag) !== entry.generations[i]);
    if (unsure.length > 0) await this.readGenerations(unsure);
    return this.compareLocally(entry) === "current";
  }

  /**
   * The entry for `key` if this process holds it and knows it is current, without asking Redis;
   * null otherwise (the full `lookup` then decides). The cheap path of a hit.
   */
  peek(key: string): CachedResponse | null {
    if (!this.subscribed) return null;
    const local = this.memory.get(key);
    if (!local || local.storedAt + local.maxAge * 1000 <= Date.now()) return null;
    if (local.checkedAtEpoch === this.epoch) return local;
    if (this.compareLocally(local) !== "current") return null;
    local.checkedAtEpoch = this.epoch;
    return local;
  }

  async lookup(key: string): Promise<Lookup> {
    if (!this.subscribed) return { kind: "bypass" };
    const local = this.memory.get(key);
    let candidate: CachedResponse | undefined;
    if (local && local.storedAt + local.maxAge * 1000 > Date.now()) {
      if (local.checkedAtEpoch === this.epoch) return { kind: "hit", entry: local, tier: "memory" };
      const verdict = this.compareLocally(local);
      if (verdict === "current") {
        local.checkedAtEpoch = this.epoch;
        return { kind: "hit", entry: local, tier: "memory" };
      }
      if (verdict === "unknown") candidate = local;
      else this.memory.delete(key);
    } else if (local) this.memory.delete(key);

    try {
      const epoch = this.epoch;
      const sequenceKey = responseCacheKeys.sequence(this.options.keyPrefix);
      const [raw, sequence] = candidate
        ? [null, await this.options.redis.get(sequenceKey)]
        : await this.options.redis.mget(responseCacheKeys.entry(this.options.keyPrefix, sha256(key)), sequenceKey);
      const tier = candidate ? "memory" : "redis";
      candidate ??= raw ? (this.parseEntry(raw) ?? undefined) : undefined;
      if (candidate && candidate.storedAt + candidate.maxAge * 1000 > Date.now() && (await this.verify(candidate))) {
        candidate.checkedAtEpoch = epoch;
        this.memory.set(key, candidate);
        return { kind: "hit", entry: candidate, tier };
      }
      if (candidate) this.memory.delete(key);
      return { kind: "miss", sequence: sequence ? Number(sequence) : 0 };
    } catch (error) {
      this.options.metrics?.redisError();
      this.options.log.warn({ err: error }, "response cache: Redis unavailable, answering without the cache");
      return { kind: "bypass" };
    }
  }

  /**
   * Stores a result under `key` unless one of its tags was invalidated after `sequence` (read
   * before execution). Never throws: a result that cannot be stored is simply not cached.
   */
  async store(
    key: string,
    sequence: number,
    result: CachedResponse["result"],
    tags: string[],
    policy: { maxAge: number; scope: CacheScope },
    operationName: string | null = null,
  ): Promise<void> {
    if (!this.subscribed) return;
    const maxAge = Math.min(policy.maxAge, this.maxAgeCap);
    if (maxAge <= 0) return;
    const body = JSON.stringify(result);
    if (body.length > this.maxBodyBytes) return;
    try {
      const epoch = this.epoch;
      const generations = await this.readGenerations(tags);
      if (generations.some((generation) => generation > sequence)) {
        this.options.metrics?.stored("raced");
        return;
      }
      const storedAt = Date.now();
      const serialised = `${body}\n`;
      const entry: CachedResponse = {
        result,
        body: serialised,
        byteLength: Buffer.byteLength(serialised),
        operationName,
        tags,
        generations,
        storedAt,
        maxAge,
        scope: policy.scope,
        checkedAtEpoch: epoch,
      };
      const header = JSON.stringify({ t: tags, g: generations, s: storedAt, m: maxAge, p: policy.scope, o: operationName });
      await this.options.redis.set(responseCacheKeys.entry(this.options.keyPrefix, sha256(key)), `${header}\n${body}`, "EX", maxAge);
      this.memory.set(key, entry);
      this.options.metrics?.stored("stored");
    } catch (error) {
      this.options.metrics?.redisError();
      this.options.log.warn({ err: error }, "response cache: could not store a response in Redis");
    }
  }

  private parseEntry(raw: string): CachedResponse | null {
    const newline = raw.indexOf("\n");
    if (newline < 0) return null;
    try {
      const header = JSON.parse(raw.slice(0, newline)) as {
        t: string[];
        g: number[];
        s: number;
        m: number;
        p: CacheScope;
        o?: string | null;
      };
      const body = raw.slice(newline + 1);
      const result = JSON.parse(body) as CachedResponse["result"];
      return {
        result,
        body: `${body}\n`,
        byteLength: Buffer.byteLength(body) + 1,
        operationName: header.o ?? null,
        tags: header.t,
        generations: header.g,
        storedAt: header.s,
        maxAge: header.m,
        scope: header.p,
        checkedAtEpoch: -1,
      };
    } catch {
      return null;
    }
  }

  close(): void {
    this.closed = true;
    this.subscribed = false;
    this.options.subscriber.disconnect();
  }
}

/**
 * The response cache's own rules, against real Redis without a platform: which tags a result is
 * filed under, that a read which raced a write is never stored, that a writer's invalidation
 * retires an entry on every cache at once, and that a cache whose invalidation channel is down
 * serves nothing (fail closed) until it is back.
 */
import { buildSchema, parse, type OperationDefinitionNode } from "graphql";
import { Redis } from "ioredis";
import { createCacheInvalidator, cacheTags } from "@agora/platform";
import { eventually, testKeyPrefix, testRedisUrl, throwawayRedis } from "@agora/platform/testing";
import { collectResponseTags } from "../../src/caching/response-cache-tags.js";
import { ResponseCache } from "../../src/caching/response-cache.js";

const quiet = { warn: () => {}, info: () => {} };

describe("tags of a result", () => {
  const schema = buildSchema(`
    type Query { offer(id: ID!): Offer  offers: [Offer!]!  me: User }
    type Offer { id: ID! title: String! seller: User! reviews: [Review!]! }
    type User { id: ID! displayName: String! }
    type Review { id: ID! rating: Int! author: User! }
  `);
  const tagsOf = (query: string, data: Record<string, unknown>, variables = {}) => {
    const document = parse(query);
    const operation = document.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
    const fragments = Object.fromEntries(document.definitions.flatMap((d) => (d.kind === "FragmentDefinition" ? [[d.name.value, d]] : [])));
    return collectResponseTags(schema, operation, fragments, data, variables).sort();
  };

  test("entities by id (aliases and fragments too), root fields, and the id a root field was asked for", () => {
    const tags = tagsOf(
      `query($id: ID!) { offer(id: $id) { key: id title seller { ...U } reviews { id author { displayName } } } }
       fragment U on User { id }`,
      { offer: { key: "o1", title: "Lamp", seller: { id: "u1" }, reviews: [{ id: "r1", author: { displayName: "Bob" } }] } },
      { id: "o1" },
    );
    // The author's id was not selected: any User write retires the entry.
    expect(tags).toEqual(["Offer:o1", "Query.offer", "Review:r1", "User", "User:u1"]);
  });

  test("a null answer is still filed under the entity it was asked for", () => {
    expect(tagsOf(`{ offer(id: "o9") { title } }`, { offer: null })).toEqual(["Offer:o9", "Query.offer"]);
  });

  test("lists without ids fall back to their types", () => {
    expect(tagsOf(`{ offers { title seller { displayName } } }`, { offers: [{ title: "a", seller: { displayName: "x" } }] })).toEqual([
      "Offer",
      "Query.offers",
      "User",
    ]);
  });
});

describe("entries, generations and the invalidation channel", () => {
  const keyPrefix = testKeyPrefix("rcache-store");
  const redis = new Redis(testRedisUrl());
  const invalidator = createCacheInvalidator({ redis, keyPrefix, log: quiet });
  const caches: (ResponseCache & { command: Redis })[] = [];
  const newCache = async (url = testRedisUrl()) => {
    const command = new Redis(url, { maxRetriesPerRequest: 1 });
    const subscriber = new Redis(url);
    command.on("error", () => {});
    subscriber.on("error", () => {});
    const cache = new ResponseCache({ redis: command, subscriber, keyPrefix, log: quiet });
    cache.useSupergraph("type Query { a: Int }");
    caches.push(Object.assign(cache, { command }));
    await eventually(() => cache.available, "the invalidation subscription");
    return cache;
  };
  afterAll(async () => {
    for (const cache of caches) {
      cache.close();
      cache.command.disconnect();
    }
    for (const key of await redis.keys(`${keyPrefix}*`)) await redis.del(key);
    redis.disconnect();
  });
  const result = (title: string) => ({ data: { offer: { title } } });
  const policy = { maxAge: 30, scope: "PUBLIC" as const };

  test("an entry is served until a writer invalidates one of its tags, on every cache", async () => {
    const a = await newCache();
    const b = await newCache();
    const key = a.keyOf("anonymous", null, "q1", {});
    const miss = await a.lookup(key);
    if (miss.kind !== "miss") throw new Error(`expected a miss, got ${miss.kind}`);
    await a.store(key, miss.sequence, result("Lamp"), [cacheTags.offer("o1"), "Query.offer"], policy);
    expect(await a.lookup(key)).toMatchObject({ kind: "hit", tier: "memory" });
    expect(await b.lookup(key)).toMatchObject({ kind: "hit", tier: "redis" });
    expect(await b.lookup(key)).toMatchObject({ kind: "hit", tier: "memory" });

    await invalidator.invalidate([cacheTags.offer("o1")]);
    // The message reaches both caches; neither serves the entry any more.
    await eventually(async () => (await a.lookup(key)).kind === "miss", "cache A to drop the entry");
    await eventually(async () => (await b.lookup(key)).kind === "miss", "cache B to drop the entry");
  });

  test("a result read before a write but stored after it is not stored (the read raced the write)", async () => {
    const a = await newCache();
    const key = a.keyOf("anonymous", null, "q2", {});
    const before = await a.lookup(key);
    if (before.kind !== "miss") throw new Error(`expected a miss, got ${before.kind}`);
    // The query runs and reads the old title; meanwhile the offer is written and invalidated.
    await invalidator.invalidate([cacheTags.offer("o2")]);
    await a.store(key, before.sequence, result("old title"), [cacheTags.offer("o2")], policy);
    expect((await a.lookup(key)).kind).toBe("miss");
    // The next execution, after the write, is stored.
    const again = await a.lookup(key);
    if (again.kind !== "miss") throw new Error(`expected a miss, got ${again.kind}`);
    await a.store(key, again.sequence, result("new title"), [cacheTags.offer("o2")], policy);
    expect(await a.lookup(key)).toMatchObject({ kind: "hit", entry: { result: result("new title") } });
  });

  test("while its invalidation channel is down the cache serves nothing, and it comes back by itself", async () => {
    const server = await throwawayRedis();
    await server.start();
    try {
      const a = await newCache(server.url);
      const key = a.keyOf("anonymous", null, "q3", {});
      const miss = await a.lookup(key);
      if (miss.kind !== "miss") throw new Error(`expected a miss, got ${miss.kind}`);
      await a.store(key, miss.sequence, result("Lamp"), ["Offer:o3"], policy);
      expect((await a.lookup(key)).kind).toBe("hit");
      await server.stop("SIGKILL");
      await eventually(() => !a.available, "the cache to notice");
      // The entry is still in memory, but a write now would go unheard: not served.
      expect((await a.lookup(key)).kind).toBe("bypass");
      await server.start();
      await eventually(() => a.available, "the subscription to come back", 20_000);
      // A message may have been missed meanwhile: what the process remembered is gone, and this
      // Redis (nothing persisted) has no entry either.
      expect((await a.lookup(key)).kind).toBe("miss");
    } finally {
      await server.stop();
    }
  });
});

/**
 * The shared query-plan cache across two real gateways on one Redis: a plan made by gateway A is
 * what gateway B executes (same result, B plans nothing), a gateway that starts loads the most-used
 * plans before it serves, and concurrent first requests on both gateways are planned exactly once.
 */
import { graphqlRequest } from "@agora/platform/testing";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    label: "plancache",
    seed: { users: 10, offers: 12, reviewsPerOffer: 2 },
    gatewayEnv: { PLAN_CACHE_MEMORY_ENTRIES: "1000" },
  });
});
afterAll(() => stack.stop());

/** Sums one counter (all label sets matching `labels`) from a gateway's /metrics. */
async function counter(graphqlUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, "/metrics"))).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const [series, value] = line.split(" ");
    if (!series || series.split("{")[0] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += Number(value);
  }
  return sum;
}

const federated = (first: number) =>
  `query Federated${first} { offers(first: ${first}) { totalCount edges { node { title seller { displayName } rating { average count } reviews(first: 2) { edges { node { rating author { displayName } } } } } } } }`;

test("a plan made by gateway A is a Redis hit on gateway B's first execution, with the same result", async () => {
  const query = federated(3);
  const fromA = await graphqlRequest(stack.gatewayUrl, query);
  expect(fromA.errors).toBeUndefined();
  const b = await stack.startGateway({ PLAN_CACHE_MEMORY_ENTRIES: "1000", PLAN_CACHE_WARMUP_COUNT: "0" });
  const plannedBefore = await counter(b.url, "agora_gateway_plans_total");
  const fromB = await graphqlRequest(b.url, query);
  expect(fromB).toEqual(fromA);
  expect(await counter(b.url, "agora_gateway_plans_total")).toBe(plannedBefore);
  expect(await counter(b.url, "agora_gateway_cache_lookups_total", { cache: "plan", tier: "redis", outcome: "hit" })).toBe(1);
});

test("a gateway that starts loads the most-used plans before it serves (warm-up)", async () => {
  const query = federated(4);
  for (let i = 0; i < 3; i++) expect((await graphqlRequest(stack.gatewayUrl, query)).errors).toBeUndefined();
  // Use counts reach Redis on the next flush; stopping a gateway flushes too, so start and stop one.
  const flusher = await stack.startGateway({ PLAN_CACHE_WARMUP_COUNT: "0" });
  await graphqlRequest(flusher.url, query);
  await flusher.gateway.stop();
  const warm = await stack.startGateway({ PLAN_CACHE_MEMORY_ENTRIES: "1000" });
  expect((await graphqlRequest(warm.url, query)).errors).toBeUndefined();
  // Served from memory at once: neither Redis nor the planner was asked.
  expect(await counter(warm.url, "agora_gateway_cache_lookups_total", { cache: "plan", tier: "memory", outcome: "hit" })).toBe(1);
  expect(await counter(warm.url, "agora_gateway_cache_lookups_total", { cache: "plan", tier: "redis" })).toBe(0);
  expect(await counter(warm.url, "agora_gateway_plans_total")).toBe(0);
});

test("concurrent first requests for one operation on two gateways are planned exactly once", async () => {
  const c = await stack.startGateway({ PLAN_CACHE_MEMORY_ENTRIES: "1000", PLAN_CACHE_WARMUP_COUNT: "0" });
  const d = await stack.startGateway({ PLAN_CACHE_MEMORY_ENTRIES: "1000", PLAN_CACHE_WARMUP_COUNT: "0" });
  const query = federated(5);
  const results = await Promise.all([c.url, d.url, c.url, d.url, c.url, d.url].map((url) => graphqlRequest(url, query)));
  for (const result of results) expect(result).toEqual(results[0]);
  expect(results[0]?.errors).toBeUndefined();
  const planned = (await counter(c.url, "agora_gateway_plans_total")) + (await counter(d.url, "agora_gateway_plans_total"));
  expect(planned).toBe(1);
});

test("plans of another supergraph never collide: the Redis key carries the schema hash and planner version", async () => {
  const { SharedPlanCache, plannerVersion } = await import("../../src/caching/plan-cache.js");
  const { Redis } = await import("ioredis");
  const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
  const log = { warn: () => {} };
  const one = new SharedPlanCache({ redis, keyPrefix: stack.keyPrefix, supergraphSdl: "type Query { a: Int }", log });
  const two = new SharedPlanCache({ redis, keyPrefix: stack.keyPrefix, supergraphSdl: "type Query { b: Int }", log });
  const plan = { kind: "QueryPlan" as const, node: undefined };
  expect(await one.get("same-key")).toBeUndefined();
  await one.set("same-key", plan);
  expect(await two.get("same-key")).toBeUndefined();
  one.clear(); // what @apollo/gateway calls on a supergraph update: the shared tier survives
  expect(await one.get("same-key")).toEqual(plan);
  expect((await redis.keys(`${stack.keyPrefix}plan:*:${plannerVersion}:p:same-key`)).length).toBe(1);
  await Promise.all([one.close(), two.close()]);
  redis.disconnect();
});

test("a supergraph update re-scopes the shared tier; a planner releases only its own lock", async () => {
  const { SharedPlanCache } = await import("../../src/caching/plan-cache.js");
  const { Redis } = await import("ioredis");
  const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
  const log = { warn: () => {} };
  const keyPrefix = `${stack.keyPrefix}scope:`;
  const plan = { kind: "QueryPlan" as const, node: undefined };
  const a = new SharedPlanCache({ redis, keyPrefix, supergraphSdl: "type Query { a: Int }", lockTtlMs: 60_000, log });
  const b = new SharedPlanCache({ redis, keyPrefix, supergraphSdl: "type Query { b: Int }", lockTtlMs: 60_000, log });
  expect(await b.get("k")).toBeUndefined(); // b holds the lock for k under its schema
  await b.set("k", plan);
  expect(await a.get("k")).toBeUndefined(); // another schema: not b's plan
  a.useSupergraph("type Query { b: Int }"); // what the gateway does when the supergraph changes
  expect(await a.get("k")).toEqual(plan);

  // A lock that expired and was taken by another planner stays that planner's.
  const lockPattern = `${keyPrefix}plan:*:lock:slow`;
  expect(await a.get("slow")).toBeUndefined(); // a plans "slow" and holds its lock
  const [lock] = await redis.keys(lockPattern);
  await redis.del(lock!); // a's lock expires
  expect(await b.get("slow")).toBeUndefined(); // b takes it
  await a.set("slow", plan); // a finishes late
  expect(await redis.keys(lockPattern)).toHaveLength(1); // b's lock is still there
  await Promise.all([a.close(), b.close()]);
  redis.disconnect();
});

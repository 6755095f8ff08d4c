/**
 * Subgraph resilience as a client and an operator see it: partial results while a non-critical
 * subgraph is down, its breaker opening and closing again by itself, and readiness that tells
 * ready, degraded and unavailable apart.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { SubgraphServer } from "@agora/platform/subgraph";
import { createReviewsSubgraph, createHttpOfferDirectory } from "@agora/reviews";
import { createUsersSubgraph } from "@agora/users";
import { loadGatewayConfig } from "../../src/config.js";
import { createReadiness } from "../../src/http/readiness.js";
import { accessTokens, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let base: string;
let reviews: SubgraphServer;
let users: SubgraphServer;

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  stack = await startStack({
    label: "resilience",
    seed: { users: 10, offers: 20, reviewsPerOffer: 2 },
    gatewayEnv: { BREAKER_FAILURE_THRESHOLD: "3", BREAKER_HALF_OPEN_AFTER_MS: "500" },
  });
  base = stack.gatewayUrl.replace(/\/graphql$/, "");
  reviews = stack.subgraphs.reviews;
  users = stack.subgraphs.users;
});
afterAll(async () => {
  await reviews.stop();
  await users.stop();
  await stack.stop();
});

async function readiness(): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/health/ready`);
  return { status: response.status, body: await response.json() };
}

/** Polls readiness (which probes through the breakers) until `done`, for at most 10 s. */
async function waitForReadiness(done: (r: { status: number; body: any }) => boolean) {
  const deadline = Date.now() + 10_000;
  let last = await readiness();
  while (!done(last) && Date.now() < deadline) {
    await delay(100);
    last = await readiness();
  }
  expect(done(last)).toBe(true);
  return last;
}

const allClosed = (r: { status: number; body: any }) =>
  r.body.status === "ready" && Object.values(r.body.subgraphs).every((s: any) => s.breaker === "closed");

/** Takes reviews down, runs `fn`, and brings a fresh reviews process back on the same port. */
async function withReviewsDown(fn: () => Promise<void>) {
  await reviews.stop();
  try {
    await fn();
  } finally {
    reviews = await createReviewsSubgraph(stack.runtimes.reviews, { offers: createHttpOfferDirectory({ url: stack.subgraphUrls.offers }) });
    await reviews.listen(portOf(stack.subgraphUrls.reviews), "127.0.0.1");
  }
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return Number(line?.split(" ").pop() ?? NaN);
}

const offersQuery = `{ offers(first: 3) { edges { node { id title rating { count } reviews(first: 1) { totalCount } } } } }`;

beforeEach(async () => {
  await waitForReadiness(allClosed);
});

describe("while the reviews subgraph is down", () => {
  it("an offers query still returns its offers, with null review fields and an error naming reviews and its URL", async () => {
    await withReviewsDown(async () => {
      const response = await stack.query(offersQuery);
      expect(response.status).toBe(200);
      const nodes = response.data?.offers.edges.map((e: any) => e.node);
      expect(nodes).toHaveLength(3);
      for (const node of nodes) {
        expect(typeof node.title).toBe("string");
        expect(node.rating).toBeNull();
        expect(node.reviews).toBeNull();
      }
      expect(response.errors?.length).toBeGreaterThan(0);
      for (const error of response.errors ?? []) {
        expect(error.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", service: "reviews" });
        expect(error.message).toContain(stack.subgraphUrls.reviews);
      }
    });
  });

  it("readiness is degraded but 200 (the balancer keeps sending), and ready again once reviews is back", async () => {
    await withReviewsDown(async () => {
      const { status, body } = await readiness();
      expect(status).toBe(200);
      expect(body.status).toBe("degraded");
      expect(body.subgraphs.reviews).toMatchObject({ critical: false });
      // Outside development the report shows no addresses (they are in the log).
      expect(body.subgraphs.reviews.url).toBeUndefined();
      expect(["down", "open"]).toContain(body.subgraphs.reviews.state);
      expect(body.subgraphs.users).toMatchObject({ state: "up", critical: true, breaker: "closed" });
      expect(body.subgraphs.offers).toMatchObject({ state: "up", critical: true, breaker: "closed" });
      expect(body.redis).toEqual({ state: "up" });
      // States only, never raw error text.
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|fetch failed|Error/);
    });
    const back = await waitForReadiness((r) => r.body.status === "ready");
    expect(back.status).toBe(200);
  });

  it("its breaker opens after 3 failures, fails fast, and closes by itself once reviews is back (no client query needed)", async () => {
    const transitions = (state: string) =>
      metric("agora_gateway_subgraph_breaker_transitions_total", `subgraph="reviews",state="${state}"`);
    const opened = await transitions("open");
    const closed = await transitions("closed");
    await withReviewsDown(async () => {
      for (let i = 0; i < 3; i++) {
        const response = await stack.query(offersQuery);
        expect(response.errors?.[0]?.extensions?.reason).toBe("refused");
      }
      const failingFast = await stack.query(offersQuery);
      expect(failingFast.data?.offers.edges).toHaveLength(3);
      expect(failingFast.errors?.[0]?.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", service: "reviews", reason: "open" });
      expect(await metric("agora_gateway_subgraph_breaker_state", 'subgraph="reviews"')).toBe(1);
      expect((await readiness()).body.subgraphs.reviews).toMatchObject({ state: "open", breaker: "open" });
    });
    // Only readiness probes from here on: the half-open probe is one of them.
    await waitForReadiness((r) => r.body.subgraphs.reviews.breaker === "closed" && r.body.subgraphs.reviews.state === "up");
    const response = await stack.query(offersQuery);
    expect(response.errors).toBeUndefined();
    expect(response.data?.offers.edges[0].node.rating.count).toEqual(expect.any(Number));
    expect(await metric("agora_gateway_subgraph_breaker_state", 'subgraph="reviews"')).toBe(0);
    expect(await transitions("open")).toBe(opened + 1);
    expect(await transitions("half-open")).toBeGreaterThan(0);
    expect(await transitions("closed")).toBe(closed + 1);
  });
});

describe("while a critical subgraph is down", () => {
  it("readiness answers 503 naming users, so the balancer stops sending", async () => {
    await users.stop();
    try {
      const { status, body } = await readiness();
      expect(status).toBe(503);
      // The one error shape of every error answer, with the report beside the code.
      const [error] = body.errors;
      expect(error.message).toMatch(/users/);
      expect(error.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: "unavailable" });
      expect(error.extensions.subgraphs.users).toMatchObject({ critical: true });
      expect(["down", "open"]).toContain(error.extensions.subgraphs.users.state);
      expect(error.extensions.subgraphs.offers).toMatchObject({ state: "up", critical: true });
    } finally {
      users = await createUsersSubgraph(stack.runtimes.users, { accessToken: accessTokens, refreshTokenTtlDays: 30 });
      await users.listen(portOf(stack.subgraphUrls.users), "127.0.0.1");
    }
    await waitForReadiness((r) => r.status === 200 && r.body.status === "ready");
  });
});

describe("while Redis is unreachable or hangs", () => {
  it("readiness is degraded, not unavailable: Redis is shared by both gateways, so it never takes the tier out", async () => {
    const withRedis = (ping: () => Promise<unknown>) =>
      createReadiness({
        subgraphs: stack.subgraphUrls,
        breakers: new Map(),
        critical: ["users", "offers"],
        probeTimeoutMs: 200,
        redis: { ping },
      });
    const refused = await withRedis(() => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390"))).check();
    expect(refused).toMatchObject({ status: "degraded", redis: { state: "down" } });
    expect(JSON.stringify(refused)).not.toMatch(/ECONNREFUSED/);
    const hung = await withRedis(() => new Promise(() => undefined)).check();
    expect(hung).toMatchObject({ status: "degraded", redis: { state: "timeout" } });
    expect(Object.values(hung.subgraphs).every((s) => s.state === "up")).toBe(true);
  });
});

describe("configuration", () => {
  it("takes the critical subgraphs and per-subgraph timeouts from the environment, refusing unknown names", () => {
    const config = loadGatewayConfig({ CRITICAL_SUBGRAPHS: "users, offers,reviews", SUBGRAPH_TIMEOUTS_MS: "reviews=2000" });
    expect(config.CRITICAL_SUBGRAPHS).toEqual(["users", "offers", "reviews"]);
    expect(config.SUBGRAPH_TIMEOUTS_MS).toEqual({ reviews: 2000 });
    expect(loadGatewayConfig({}).CRITICAL_SUBGRAPHS).toEqual(["users", "offers"]);
    expect(() => loadGatewayConfig({ CRITICAL_SUBGRAPHS: "users,nope" })).toThrow(/CRITICAL_SUBGRAPHS/);
    expect(() => loadGatewayConfig({ SUBGRAPH_TIMEOUTS_MS: "reviews=fast" })).toThrow(/SUBGRAPH_TIMEOUTS_MS/);
  });
});

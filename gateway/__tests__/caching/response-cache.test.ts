/**
 * The response cache on two real gateways sharing one Redis, over the real subgraphs: what is
 * served from it, to whom, with which headers, and that every write (through either gateway, or by
 * a worker) retires what it changed on both gateways before the next read.
 */
import { startStack, type Stack } from "../support/stack.js";
import { startWorkerProcess, type WorkerProcess } from "../support/worker-process.js";

const cacheOn = { RESPONSE_CACHE_ENABLED: "true", PLAN_CACHE_MEMORY_ENTRIES: "1000" };

let stack: Stack;
let b: string;
beforeAll(async () => {
  stack = await startStack({ label: "rcache", seed: { users: 6, offers: 8, reviewsPerOffer: 2 }, gatewayEnv: cacheOn });
  b = (await stack.startGateway()).url;
});
afterAll(() => stack.stop());

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  cacheControl: string | null;
  age: string | null;
}

async function ask(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Answer["body"],
    cacheControl: response.headers.get("cache-control"),
    age: response.headers.get("age"),
  };
}

/** Sums one counter (all label sets matching `labels`) from a gateway's /metrics. */
async function counter(graphqlUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, "/metrics"))).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const [series, value] = line.split(" ");
    if (!series || series.split("{")[0] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += Number(value);
  }
  return sum;
}
const hits = (url: string) => counter(url, "agora_gateway_response_cache_requests_total", { outcome: "hit" });

const createOffer = `mutation($title: String!) {
  createOffer(input: { title: $title, description: "cached", price: { amount: "10.00", currency: "EUR" }, category: "books", location: { lat: 52.5, lng: 13.4 } }) { id }
}`;

/** A new ACTIVE offer of the given seller, created and published through gateway A. */
async function activeOffer(token: string, title: string): Promise<string> {
  const created = await ask(stack.gatewayUrl, createOffer, { title }, token);
  const id = created.body.data.createOffer.id as string;
  const published = await ask(stack.gatewayUrl, `mutation($id: ID!) { publishOffer(id: $id) { status } }`, { id }, token);
  expect(published.body.data.publishOffer.status).toBe("ACTIVE");
  return id;
}

test("a hit is served with Age and the Cache-Control of the subgraphs' hints; the first answer has no Age", async () => {
  const query = `query Catalogue { offers(first: 3) { totalCount edges { node { id title price { amount } seller { displayName } rating { count } } } } }`;
  const first = await ask(stack.gatewayUrl, query);
  expect(first.body.errors).toBeUndefined();
  expect(first.cacheControl).toBe("max-age=30, public");
  expect(first.age).toBeNull();
  const before = await hits(stack.gatewayUrl);
  const second = await ask(stack.gatewayUrl, query);
  expect(second.body).toEqual(first.body);
  expect(second.cacheControl).toBe("max-age=30, public");
  expect(Number(second.age)).toBeGreaterThanOrEqual(0);
  expect(await hits(stack.gatewayUrl)).toBe(before + 1);
  // The other gateway finds it in Redis.
  const onB = await ask(b, query);
  expect(onB.body).toEqual(first.body);
  expect(onB.age).not.toBeNull();
  expect(await counter(b, "agora_gateway_response_cache_requests_total", { outcome: "hit", tier: "redis" })).toBeGreaterThanOrEqual(1);
  // Memory hits skip Apollo (http/cached-responses.ts) but are requests like any other.
  expect(await counter(stack.gatewayUrl, "agora_graphql_requests_total", { operation: "Catalogue", outcome: "ok" })).toBe(2);
});

test("with rate limiting on, hits go through Apollo's pipeline: charged, with the same headers", async () => {
  const limited = (await stack.startGateway({ RATE_LIMIT_ENABLED: "true" })).url;
  const query = `query Limited { offers(first: 2) { edges { node { id title } } } }`;
  const first = await fetch(limited, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  const firstBody = await first.json();
  const second = await fetch(limited, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  expect(await second.json()).toEqual(firstBody);
  expect(second.headers.get("age")).not.toBeNull();
  expect(second.headers.get("cache-control")).toBe("max-age=30, public");
  expect(second.headers.get("ratelimit")).toMatch(/"anonymous";r=\d+/);
  expect(await hits(limited)).toBeGreaterThanOrEqual(1);
});

test("private data never crosses users: two users, the same query, both gateways", async () => {
  const alice = await stack.login("alice@agora.test");
  const bob = await stack.login("bob@agora.test");
  const me = `query Me { me { id displayName email } }`;
  const answers: Answer[] = [];
  // Alice fills the cache on A, Bob asks the same on A and B, then Alice on B, each twice.
  for (const [url, who] of [
    [stack.gatewayUrl, alice],
    [stack.gatewayUrl, bob],
    [b, bob],
    [b, alice],
    [stack.gatewayUrl, alice],
    [stack.gatewayUrl, bob],
  ] as const) {
    const answer = await ask(url, me, {}, who.accessToken);
    expect(answer.body.data.me.id).toBe(who.userId);
    expect(answer.body.data.me.email).toBe(who === alice ? "alice@agora.test" : "bob@agora.test");
    expect(answer.cacheControl).toBe("max-age=60, private");
    answers.push(answer);
  }
  // The repeats were hits (so the cache was in play), of each user's own entry.
  expect(answers[4]?.age).not.toBeNull();
  expect(answers[5]?.age).not.toBeNull();
  // Anonymous: `me` is PRIVATE, so never cached for nobody, and nobody's entry is served.
  const anonymous = await ask(b, me);
  expect(anonymous.body.data.me).toBeNull();
  expect(anonymous.age).toBeNull();
  expect((await ask(b, me)).age).toBeNull();
  // Public data asked by a signed-in user is that user's entry, and says private to HTTP caches.
  const catalogue = `{ offers(first: 2) { edges { node { id title } } } }`;
  expect((await ask(b, catalogue, {}, alice.accessToken)).cacheControl).toBe("max-age=30, private");
  expect((await ask(b, catalogue, {}, bob.accessToken)).age).toBeNull();
});

test("a mutation through gateway A retires the cached offer, its seller's list and the catalogue on gateway B", async () => {
  const alice = await stack.login("alice@agora.test");
  const id = await activeOffer(alice.accessToken, "Cached lamp");
  const offer = `query Offer($id: ID!) { offer(id: $id) { title seller { offers(first: 50) { totalCount } } } }`;
  // No ids selected below: entries fall back to type tags, and are retired all the same.
  const list = `query Titles { offers(first: 50) { edges { node { title } } } }`;
  expect((await ask(b, offer, { id })).body.data.offer.title).toBe("Cached lamp");
  expect((await ask(b, offer, { id })).age).not.toBeNull();
  expect((await ask(b, list)).body.data.offers.edges.map((e: any) => e.node.title)).toContain("Cached lamp");
  expect((await ask(b, list)).age).not.toBeNull();
  const sellerTotal = (await ask(b, offer, { id })).body.data.offer.seller.offers.totalCount as number;

  const updated = await ask(
    stack.gatewayUrl,
    `mutation($id: ID!) { updateOffer(id: $id, input: { title: "Renamed lamp" }) { title } }`,
    { id },
    alice.accessToken,
  );
  expect(updated.body.data.updateOffer.title).toBe("Renamed lamp");
  const after = await ask(b, offer, { id });
  expect(after.body.data.offer.title).toBe("Renamed lamp");
  expect(after.age).toBeNull();
  expect((await ask(b, list)).body.data.offers.edges.map((e: any) => e.node.title)).toContain("Renamed lamp");

  // A new offer of the same seller: their list on B counts it at once.
  await activeOffer(alice.accessToken, "Second lamp");
  expect((await ask(b, offer, { id })).body.data.offer.seller.offers.totalCount).toBe(sellerTotal + 1);
  expect(await counter(b, "agora_gateway_response_cache_invalidations_total")).toBeGreaterThan(0);
});

test("mutations are never cached: the same mutation twice runs twice", async () => {
  const alice = await stack.login("alice@agora.test");
  const first = await ask(stack.gatewayUrl, createOffer, { title: "Twice" }, alice.accessToken);
  const second = await ask(stack.gatewayUrl, createOffer, { title: "Twice" }, alice.accessToken);
  expect(first.body.data.createOffer.id).not.toBe(second.body.data.createOffer.id);
  expect(second.cacheControl).toBe("no-store");
  expect(second.age).toBeNull();
});

test("a response with errors is never cached (a subgraph down: partial data under a cacheable policy)", async () => {
  const broken = await stack.startGateway({ REVIEWS_URL: "http://127.0.0.1:1/graphql" });
  const query = `query Partial { offers(first: 2) { edges { node { id title rating { count } } } } }`;
  const first = await ask(broken.url, query);
  expect(first.body.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
  expect(first.body.data.offers.edges.length).toBe(2);
  const second = await ask(broken.url, query);
  expect(second.body.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
  expect(second.age).toBeNull();
  expect(second.cacheControl).toBe("no-store");
  expect(await hits(broken.url)).toBe(0);
  // Nor did it reach Redis for the healthy gateways: the same query on B is answered with ratings.
  const healthy = await ask(b, query);
  expect(healthy.body.errors).toBeUndefined();
  expect(healthy.body.data.offers.edges[0].node.rating).not.toBeNull();
});

describe("a worker's write", () => {
  let worker: WorkerProcess | undefined;
  afterAll(async () => worker?.stop());

  test("a moderation verdict (rejecting a review) retires the offer's cached rating and reviews on both gateways", async () => {
    const alice = await stack.login("alice@agora.test");
    const bob = await stack.login("bob@agora.test");
    const id = await activeOffer(alice.accessToken, "Moderated chair");
    // Bob's review is queued for moderation; no worker runs yet, so it counts while PENDING.
    const created = await ask(
      stack.gatewayUrl,
      `mutation($id: ID!) { createReview(input: { offerId: $id, rating: 5, body: "BUY CHEAP WATCHES NOW AT MY SHOP" }) { id } }`,
      { id },
      bob.accessToken,
    );
    expect(created.body.errors).toBeUndefined();
    const rating = `query Rating($id: ID!) { offer(id: $id) { id rating { count } reviews(first: 5) { totalCount } } }`;
    for (const url of [stack.gatewayUrl, b]) {
      expect((await ask(url, rating, { id })).body.data.offer.rating.count).toBe(1);
      const cached = await ask(url, rating, { id });
      expect(cached.age).not.toBeNull();
      expect(cached.body.data.offer.rating.count).toBe(1);
    }
    worker ??= startWorkerProcess(stack);
    // The job completes after its handler returned, and the handler tells the caches before that.
    const admin = await stack.login("admin@agora.test");
    const reviewId = created.body.data.createReview.id as string;
    const jobs = `{ jobs(filter: { type: MODERATION }, first: 100) { edges { node { status input } } } }`;
    const deadline = Date.now() + 45_000;
    for (;;) {
      const answer = await ask(stack.gatewayUrl, jobs, {}, admin.accessToken);
      const job = answer.body.data.jobs.edges.find((edge: any) => edge.node.input.reviewId === reviewId);
      if (job?.node.status === "COMPLETED") break;
      if (Date.now() > deadline) throw new Error(`the moderation job did not complete in time: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const url of [stack.gatewayUrl, b]) {
      const after = await ask(url, rating, { id });
      expect(after.body.data.offer.rating.count).toBe(0);
      expect(after.body.data.offer.reviews.totalCount).toBe(0);
    }
  });

  test("a processed image retires the offer's cached images on both gateways", async () => {
    const alice = await stack.login("alice@agora.test");
    const id = await activeOffer(alice.accessToken, "Photographed bike");
    const images = `query Images($id: ID!) { offer(id: $id) { title images { width height } } }`;
    for (const url of [stack.gatewayUrl, b]) {
      expect((await ask(url, images, { id })).body.data.offer.images).toEqual([]);
      expect((await ask(url, images, { id })).age).not.toBeNull();
    }
    worker ??= startWorkerProcess(stack);
    // A 64×48 PNG, as in e2e/upload-pipeline.test.ts.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAfUlEQVRoge2SAQkAURSD1slOl9ZQF2M8/sAAOhY+T5O6AQuwviK7kHdJ3YAFWF+RXci7pG7AAqyvyC7kXVI3YAHWV2QX8i6pG7AA6yuyC3mX1A1YgPUV2YW8S+oGLMD6iuxC3iV1AxZgfUV2Ie+SugELsL4iu5B3Sd2AxwN+Vpy88fDIx5oAAAAASUVORK5CYII=",
      "base64",
    );
    const form = new FormData();
    form.append("offerId", id);
    form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "bike.png");
    const base = stack.gatewayUrl.replace(/\/graphql$/, "");
    const accepted = await fetch(`${base}/upload`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(accepted.status).toBe(202);
    const { jobId } = (await accepted.json()) as { jobId: string };
    const deadline = Date.now() + 45_000;
    for (;;) {
      const job = (await (await fetch(`${base}/jobs/${jobId}`, { headers: { authorization: `Bearer ${alice.accessToken}` } })).json()) as {
        status: string;
      };
      if (job.status === "COMPLETED") break;
      if (Date.now() > deadline || job.status === "FAILED") throw new Error(`the image job did not complete: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const url of [stack.gatewayUrl, b])
      expect((await ask(url, images, { id })).body.data.offer.images).toEqual([{ width: 64, height: 48 }]);
  });
});

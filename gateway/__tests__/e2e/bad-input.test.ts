import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let sql: pg.Client;
let alice: { accessToken: string; userId: string };
beforeAll(async () => {
  stack = await startStack({ label: "badinput", seed: { users: 6, offers: 6, reviewsPerOffer: 1 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  alice = await stack.login("alice@agora.test");
});
afterAll(async () => {
  await sql.end();
  await stack.stop();
});

const code = (response: { errors?: { extensions?: Record<string, unknown> }[] }) => response.errors?.[0]?.extensions?.code;
const counts = async () =>
  (
    await sql.query(
      "SELECT (SELECT count(*) FROM offers.offers)::int AS offers, (SELECT count(*) FROM reviews.reviews)::int AS reviews, (SELECT count(*) FROM users.users)::int AS users",
    )
  ).rows[0];

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(stack.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: response.status, body: (await response.json()) as any };
}

describe("bad input gets a clear error code, never a 500, and changes nothing", () => {
  it("malformed JSON → 400 BAD_USER_INPUT", async () => {
    const { status, body } = await post('{"query": "{ offers { totalCount } ');
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0].message).toMatch(/not valid JSON/);
  });

  it("unknown fields → BAD_USER_INPUT naming the field", async () => {
    const response = await stack.query(`{ offers(first: 1) { edges { node { title colour } } } }`);
    expect(response.status).toBe(400);
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.message).toMatch(/colour/);
  });

  it("first above the maximum, bad cursors and ids that are not ids → BAD_USER_INPUT", async () => {
    expect(code(await stack.query(`{ offers(first: 101) { totalCount } }`))).toBe("BAD_USER_INPUT");
    expect(code(await stack.query(`{ offers(first: 5, after: "bogus") { totalCount } }`))).toBe("BAD_USER_INPUT");
    expect(code(await stack.query(`{ offer(id: "42") { id } }`))).toBe("BAD_USER_INPUT");
    expect(code(await stack.query(`{ user(id: "../etc/passwd") { id } }`))).toBe("BAD_USER_INPUT");
  });

  it("ids that do not exist: null for lookups, NOT_FOUND for mutations", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    expect((await stack.query(`query($id: ID!) { offer(id: $id) { id } }`, { id: missing })).data.offer).toBeNull();
    expect(code(await stack.query(`mutation($id: ID!) { publishOffer(id: $id) { id } }`, { id: missing }, alice.accessToken))).toBe(
      "NOT_FOUND",
    );
    expect(code(await stack.query(`mutation($id: ID!) { deleteReview(id: $id) }`, { id: missing }, alice.accessToken))).toBe("NOT_FOUND");
  });

  it("ratings outside 1–5, empty and oversized text → BAD_USER_INPUT, nothing written", async () => {
    const before = await counts();
    const offer = (await sql.query("SELECT id FROM offers.offers WHERE status = 'ACTIVE' AND seller_id <> $1 LIMIT 1", [alice.userId]))
      .rows[0];
    const review = `mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }`;
    for (const input of [
      { offerId: offer.id, rating: 6, body: "Too good" },
      { offerId: offer.id, rating: 0, body: "Too bad" },
      { offerId: offer.id, rating: 4, body: "   " },
      { offerId: offer.id, rating: 4, body: "x".repeat(2001) },
    ]) {
      const response = await stack.query(review, { input }, alice.accessToken);
      expect(code(response)).toBe("BAD_USER_INPUT");
    }
    const offer2 = `mutation($input: CreateOfferInput!) { createOffer(input: $input) { id } }`;
    const base = {
      title: "Desk lamp",
      description: "Works",
      price: { amount: "10.00", currency: "EUR" },
      category: "home",
      tags: [],
      location: { lat: 1, lng: 1 },
    };
    for (const input of [
      { ...base, title: "" },
      { ...base, title: "t".repeat(500) },
      { ...base, price: { amount: "-3", currency: "EUR" } },
      { ...base, price: { amount: "3.999", currency: "EUR" } },
      { ...base, price: { amount: "3", currency: "XYZ" } },
      { ...base, location: { lat: 91, lng: 0 } },
    ]) {
      expect(code(await stack.query(offer2, { input }, alice.accessToken))).toBe("BAD_USER_INPUT");
    }
    const register = `mutation($input: RegisterInput!) { register(input: $input) { user { id } } }`;
    for (const input of [
      { email: "not-an-email", password: "long enough pw", displayName: "X" },
      { email: "ok@example.test", password: "short", displayName: "X" },
      { email: "ok@example.test", password: "long enough pw", displayName: "" },
    ]) {
      expect(code(await stack.query(register, { input }))).toBe("BAD_USER_INPUT");
    }
    expect(await counts()).toEqual(before);
  });

  it("a body over the limit → 413; CSRF prevention refuses simple GET requests; no stack traces", async () => {
    const big = await post(JSON.stringify({ query: `{ offers(first: 1) { totalCount } }`, padding: "x".repeat(70_000) }));
    expect(big.status).toBe(413);
    const csrf = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent("{ __typename }")}`);
    expect(csrf.status).toBe(400);
    const response = await stack.query(`{ offers(first: 101) { totalCount } }`);
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|\.ts:\d+/);
  });
});

describe("health and dependencies", () => {
  it("serves Apollo Sandbox outside production, live and ready health", async () => {
    const landing = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toMatch(/sandbox|embeddable/i);
    const base = stack.gatewayUrl.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it("names a subgraph that is down, with where it was looked for (runs last: stops reviews)", async () => {
    await stack.subgraphs.reviews.stop();
    const base = stack.gatewayUrl.replace(/\/graphql$/, "");
    // reviews is not critical: the gateway is degraded but still serves (see tier/resilience.test.ts).
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as any;
    expect(report.status).toBe("degraded");
    expect(report.subgraphs.reviews).toMatchObject({ state: "down", critical: false, url: stack.subgraphUrls.reviews });

    const response = await stack.query(`{ offers(first: 1) { edges { node { title rating { count } } } } }`);
    const error = response.errors?.find((e) => e.extensions?.code === "SERVICE_UNAVAILABLE");
    expect(error?.message).toMatch(/reviews/);
    expect(error?.message).toContain(stack.subgraphUrls.reviews);
  });
});

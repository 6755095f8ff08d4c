import { randomUUID } from "node:crypto";
import { request } from "node:http";
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

/** Every error answer, GraphQL or REST, has this one shape; returns its code. */
function errorCode(body: unknown): unknown {
  expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: expect.objectContaining({ code: expect.any(String) }) }] });
  return (body as { errors: [{ extensions: { code: unknown } }] }).errors[0].extensions.code;
}

const base = () => stack.gatewayUrl.replace(/\/graphql$/, "");

async function get(path: string, token?: string) {
  const response = await fetch(`${base()}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** A POST that declares `length` body bytes and sends only the first kilobyte: a refusal by size comes before the rest is read. */
function declaredUpload(length: number, headers: Record<string, string>): Promise<{ status: number | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base()}/upload`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(length), ...headers },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode, body: JSON.parse(text) });
        req.destroy();
      });
    });
    req.on("error", reject);
    req.write(Buffer.alloc(1024));
  });
}
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
  it("malformed JSON → 400 BAD_REQUEST", async () => {
    const { status, body } = await post('{"query": "{ offers { totalCount } ');
    expect(status).toBe(400);
    expect(errorCode(body)).toBe("BAD_REQUEST");
    expect(body.errors[0].message).toMatch(/not valid JSON/);
  });

  it("keeps Apollo's own codes that clients act on", async () => {
    const parse = await stack.query(`{ offers(first: 1) { totalCount `);
    expect(parse.status).toBe(400);
    expect(code(parse)).toBe("GRAPHQL_PARSE_FAILED");

    const noQuery = await post(JSON.stringify({ variables: {} }));
    expect(noQuery.status).toBe(400);
    expect(code(noQuery.body)).toBe("BAD_REQUEST");

    // Apollo Client's persisted-query link resends the full query when it sees this code.
    const persisted = await post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }));
    expect(code(persisted.body)).toBe("PERSISTED_QUERY_NOT_FOUND");

    const operation = await post(JSON.stringify({ query: "query A { __typename }", operationName: "B" }));
    expect(operation.status).toBe(400);
    expect(code(operation.body)).toBe("OPERATION_RESOLUTION_FAILURE");
  });

  it("unknown fields → GRAPHQL_VALIDATION_FAILED naming the field", async () => {
    const response = await stack.query(`{ offers(first: 1) { edges { node { title colour } } } }`);
    expect(response.status).toBe(400);
    expect(code(response)).toBe("GRAPHQL_VALIDATION_FAILED");
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

describe("one error shape for REST answers, whether the jobs service or the gateway refuses", () => {
  it("POST /upload: 401 from the service (no token) and from the gateway (bad token) look the same", async () => {
    const anonymous = await fetch(`${base()}/upload`, { method: "POST", body: new FormData() });
    expect(anonymous.status).toBe(401);
    expect(errorCode(await anonymous.json())).toBe("UNAUTHENTICATED");
    const forged = await fetch(`${base()}/upload`, {
      method: "POST",
      body: new FormData(),
      headers: { authorization: "Bearer not-a-token" },
    });
    expect(forged.status).toBe(401);
    expect(errorCode(await forged.json())).toBe("UNAUTHENTICATED");
  });

  it("POST /upload: 413 from the service (over its limit) and from the gateway's proxy (over the proxy's) look the same", async () => {
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    const service = await declaredUpload(10.5 * 1024 * 1024, auth);
    expect(service.status).toBe(413);
    expect(errorCode(service.body)).toBe("BAD_USER_INPUT");
    expect(service.body).toMatchObject({ errors: [{ extensions: { reason: "FILE_TOO_LARGE" } }] });
    const proxy = await declaredUpload(50 * 1024 * 1024, auth);
    expect(proxy.status).toBe(413);
    expect(errorCode(proxy.body)).toBe("BAD_USER_INPUT");
  });

  it("GET /jobs/:id: 404 for a job that does not exist, 401 signed out, 400 for a bad id", async () => {
    const missing = await get(`/jobs/${randomUUID()}`, alice.accessToken);
    expect(missing.status).toBe(404);
    expect(errorCode(missing.body)).toBe("NOT_FOUND");
    const anonymous = await get(`/jobs/${randomUUID()}`);
    expect(anonymous.status).toBe(401);
    expect(errorCode(anonymous.body)).toBe("UNAUTHENTICATED");
    const bad = await get(`/jobs/42`, alice.accessToken);
    expect(bad.status).toBe(400);
    expect(errorCode(bad.body)).toBe("BAD_USER_INPUT");
  });

  it("an unknown route, /files and /admin/queues refusals", async () => {
    const unknown = await get("/no/such/route");
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown.body)).toBe("NOT_FOUND");
    const file = await get("/files/uploads/nothing.png");
    expect(file.status).toBe(404);
    expect(errorCode(file.body)).toBe("NOT_FOUND");
    const dashboard = await get("/admin/queues", alice.accessToken);
    expect(dashboard.status).toBe(403);
    expect(errorCode(dashboard.body)).toBe("FORBIDDEN");
  });
});

describe("health and dependencies", () => {
  it("serves Apollo Sandbox outside production, live and ready health", async () => {
    const landing = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toMatch(/sandbox|embeddable/i);
    expect((await fetch(`${base()}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base()}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it("names a subgraph that is down, with where it was looked for (runs last: stops reviews)", async () => {
    await stack.subgraphs.reviews.stop();
    // reviews is not critical: the gateway is degraded but still serves (see tier/resilience.test.ts).
    const ready = await fetch(`${base()}/health/ready`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as any;
    expect(report.status).toBe("degraded");
    expect(report.subgraphs.reviews).toMatchObject({ state: "down", critical: false });

    const response = await stack.query(`{ offers(first: 1) { edges { node { title rating { count } } } } }`);
    const error = response.errors?.find((e) => e.extensions?.code === "SERVICE_UNAVAILABLE");
    expect(error?.message).toMatch(/reviews/);
    expect(error?.message).toContain(stack.subgraphUrls.reviews);
  });

  it("the REST proxy reports the jobs service down in the same shape (runs last: stops jobs)", async () => {
    await stack.subgraphs.jobs.stop();
    const status = await get(`/jobs/${randomUUID()}`, alice.accessToken);
    expect(status.status).toBe(503);
    expect(errorCode(status.body)).toBe("SERVICE_UNAVAILABLE");
  });
});

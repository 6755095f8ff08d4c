import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";

const federatedQuery = `query($first: Int!) {
  offers(first: $first) {
    totalCount
    edges { node {
      id title
      price { amount currency }
      seller { displayName }
      rating { average count }
      reviews(first: 3) { edges { node { rating author { displayName } } } }
    } }
  }
}`;

let stack: Stack;
let sql: pg.Client;
beforeAll(async () => {
  stack = await startStack({ label: "federated", seed: { users: 40, offers: 120, reviewsPerOffer: 3 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await stack.stop();
});

describe("the federated offers query through the gateway", () => {
  it("returns offers with sellers, ratings and reviews with authors in one response, matching the database", async () => {
    const response = await stack.query(federatedQuery, { first: 5 });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const { offers } = response.data;
    const active = await sql.query("SELECT count(*)::int AS n FROM offers.offers WHERE status = 'ACTIVE'");
    expect(offers.totalCount).toBe(active.rows[0].n);
    expect(offers.edges).toHaveLength(5);

    for (const { node } of offers.edges) {
      const row = (
        await sql.query(
          `SELECT o.price_amount::text AS amount, o.currency, u.display_name AS seller
           FROM offers.offers o JOIN users.users u ON u.id = o.seller_id WHERE o.id = $1`,
          [node.id],
        )
      ).rows[0];
      expect(node.price).toEqual({ amount: row.amount, currency: row.currency });
      expect(node.seller.displayName).toBe(row.seller);

      const ratings = (
        await sql.query("SELECT rating FROM reviews.reviews WHERE offer_id = $1 AND moderation_status <> 'REJECTED'", [node.id])
      ).rows;
      expect(node.rating.count).toBe(ratings.length);
      const average = ratings.reduce((s, r) => s + r.rating, 0) / ratings.length;
      expect(node.rating.average).toBeCloseTo(average, 2);

      const newest = (
        await sql.query(
          `SELECT r.rating, u.display_name AS author FROM reviews.reviews r JOIN users.users u ON u.id = r.author_id
           WHERE r.offer_id = $1 AND r.moderation_status <> 'REJECTED' ORDER BY r.created_at DESC, r.id DESC LIMIT 3`,
          [node.id],
        )
      ).rows;
      expect(node.reviews.edges.map((e: any) => ({ rating: e.node.rating, author: e.node.author.displayName }))).toEqual(newest);
    }
  });

  it("issues the same number of SQL statements for first: 10 and first: 50 (no N+1 across subgraphs)", async () => {
    await stack.query(federatedQuery, { first: 2 }); // warm up connection pools and prepared plans
    // The three subgraphs the query touches; the jobs subgraph's outbox poller runs on its own clock.
    const statements = () =>
      (["users", "offers", "reviews"] as const).reduce((sum, name) => sum + stack.runtimes[name].db.statementCount(), 0);
    const count = async (first: number) => {
      const before = statements();
      const response = await stack.query(federatedQuery, { first });
      expect(response.errors).toBeUndefined();
      expect(response.data.offers.edges).toHaveLength(first);
      return statements() - before;
    };
    const at10 = await count(10);
    const at50 = await count(50);
    expect(at10).toBeGreaterThan(0);
    expect(at50).toBe(at10);
  });

  it("paginates with cursors: pages do not overlap and the last page says so", async () => {
    const page = `query($after: String) { offers(first: 50, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response: any = await stack.query(page, { after });
      expect(response.errors).toBeUndefined();
      for (const edge of response.data.offers.edges) {
        expect(seen.has(edge.node.id)).toBe(false);
        seen.add(edge.node.id);
      }
      pages++;
      if (!response.data.offers.pageInfo.hasNextPage) break;
      after = response.data.offers.pageInfo.endCursor;
    }
    const active = await sql.query("SELECT count(*)::int AS n FROM offers.offers WHERE status = 'ACTIVE'");
    expect(seen.size).toBe(active.rows[0].n);
    expect(pages).toBe(Math.ceil(active.rows[0].n / 50));
  });
});

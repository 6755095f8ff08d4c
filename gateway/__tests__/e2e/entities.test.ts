import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let sql: pg.Client;
beforeAll(async () => {
  stack = await startStack({ label: "entities", seed: { users: 20, offers: 40, reviewsPerOffer: 3 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await stack.stop();
});

describe("entity resolution in both directions", () => {
  it("User.offers and User.reviews (users → offers, users → reviews)", async () => {
    const { rows } = await sql.query(
      `SELECT u.id, (SELECT count(*)::int FROM offers.offers o WHERE o.seller_id = u.id AND o.status = 'ACTIVE') AS offers,
              (SELECT count(*)::int FROM reviews.reviews r WHERE r.author_id = u.id) AS reviews
       FROM users.users u ORDER BY offers DESC LIMIT 1`,
    );
    const user = rows[0];
    const response = await stack.query(
      `query($id: ID!) { user(id: $id) { id offers(first: 100) { totalCount edges { node { id seller { id } } } } reviews(first: 100) { totalCount edges { node { author { id } } } } } }`,
      { id: user.id },
    );
    expect(response.errors).toBeUndefined();
    const found = response.data.user;
    expect(found.offers.totalCount).toBe(user.offers);
    expect(found.offers.edges.every((e: any) => e.node.seller.id === user.id)).toBe(true);
    expect(found.reviews.totalCount).toBe(user.reviews);
    expect(found.reviews.edges.every((e: any) => e.node.author.id === user.id)).toBe(true);
  });

  it("Offer.seller, Offer.reviews, Review.author and Review.offer (offers → users, offers → reviews → users)", async () => {
    const offer = (await sql.query("SELECT id, seller_id FROM offers.offers WHERE status = 'ACTIVE' LIMIT 1")).rows[0];
    const response = await stack.query(
      `query($id: ID!) { offer(id: $id) { id seller { id displayName } reviews(first: 10) { totalCount edges { node { author { id displayName } offer { id title } } } } } }`,
      { id: offer.id },
    );
    expect(response.errors).toBeUndefined();
    const found = response.data.offer;
    expect(found.seller.id).toBe(offer.seller_id);
    const authors = (await sql.query("SELECT author_id FROM reviews.reviews WHERE offer_id = $1", [offer.id])).rows
      .map((r) => r.author_id)
      .sort();
    expect(found.reviews.totalCount).toBe(authors.length);
    expect(found.reviews.edges.map((e: any) => e.node.author.id).sort()).toEqual(authors);
    expect(found.reviews.edges.every((e: any) => e.node.offer.id === offer.id && e.node.author.displayName)).toBe(true);
  });
});

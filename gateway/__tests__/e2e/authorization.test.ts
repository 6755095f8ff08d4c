import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let sql: pg.Client;
let alice: { accessToken: string; userId: string };
let bob: { accessToken: string; userId: string };
let admin: { accessToken: string; userId: string };
let moderator: { accessToken: string; userId: string };
beforeAll(async () => {
  stack = await startStack({ label: "authz", seed: { users: 10, offers: 10, reviewsPerOffer: 2 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  [alice, bob, admin, moderator] = await Promise.all([
    stack.login("alice@agora.test"),
    stack.login("bob@agora.test"),
    stack.login("admin@agora.test"),
    stack.login("moderator@agora.test"),
  ]);
});
afterAll(async () => {
  await sql.end();
  await stack.stop();
});

const code = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.[0]?.extensions?.code;
const createOffer = `mutation($input: CreateOfferInput!) { createOffer(input: $input) { id status seller { id } } }`;
const offerInput = {
  title: "Vintage road bike",
  description: "Steel frame, 56 cm, new tyres.",
  price: { amount: "350.00", currency: "EUR" },
  category: "sports",
  tags: ["bike"],
  location: { lat: 52.52, lng: 13.4 },
};

describe("authorization is enforced by the subgraphs", () => {
  it("only the seller or an admin changes an offer", async () => {
    const created = await stack.query(createOffer, { input: offerInput }, alice.accessToken);
    expect(created.errors).toBeUndefined();
    const id = created.data.createOffer.id;
    expect(created.data.createOffer.seller.id).toBe(alice.userId);

    const update = `mutation($id: ID!, $title: String!) { updateOffer(id: $id, input: { title: $title }) { title } }`;
    const refused = await stack.query(update, { id, title: "Stolen bike" }, bob.accessToken);
    expect(code(refused)).toBe("FORBIDDEN");
    expect((await sql.query("SELECT title FROM offers.offers WHERE id = $1", [id])).rows[0].title).toBe("Vintage road bike");
    expect(code(await stack.query(update, { id, title: "Anonymous edit" }))).toBe("UNAUTHENTICATED");

    const byAdmin = await stack.query(update, { id, title: "Vintage road bike (checked)" }, admin.accessToken);
    expect(byAdmin.data.updateOffer.title).toBe("Vintage road bike (checked)");
    const published = await stack.query(`mutation($id: ID!) { publishOffer(id: $id) { status } }`, { id }, alice.accessToken);
    expect(published.data.publishOffer.status).toBe("ACTIVE");
  });

  it("one review per author and offer; only moderators moderate", async () => {
    const offer = (
      await sql.query(
        "SELECT id FROM offers.offers WHERE status = 'ACTIVE' AND seller_id <> $1 AND id NOT IN (SELECT offer_id FROM reviews.reviews WHERE author_id = $1) LIMIT 1",
        [bob.userId],
      )
    ).rows[0];
    const create = `mutation($input: CreateReviewInput!) { createReview(input: $input) { id rating offer { id rating { count } } } }`;
    const first = await stack.query(create, { input: { offerId: offer.id, rating: 4, body: "Fair deal." } }, bob.accessToken);
    expect(first.errors).toBeUndefined();
    const again = await stack.query(create, { input: { offerId: offer.id, rating: 5, body: "Second try." } }, bob.accessToken);
    expect(code(again)).toBe("CONFLICT");
    expect(
      (await sql.query("SELECT count(*)::int AS n FROM reviews.reviews WHERE offer_id = $1 AND author_id = $2", [offer.id, bob.userId]))
        .rows[0].n,
    ).toBe(1);

    const moderate = `mutation($id: ID!) { moderateReview(id: $id, status: REJECTED) { moderationStatus } }`;
    expect(code(await stack.query(moderate, { id: first.data.createReview.id }, alice.accessToken))).toBe("FORBIDDEN");
    const done = await stack.query(moderate, { id: first.data.createReview.id }, moderator.accessToken);
    expect(done.data.moderateReview.moderationStatus).toBe("REJECTED");
  });

  it("shows an email only to its owner and to admins", async () => {
    const query = `query($id: ID!) { user(id: $id) { email } }`;
    expect((await stack.query(query, { id: alice.userId }, alice.accessToken)).data.user.email).toBe("alice@agora.test");
    expect((await stack.query(query, { id: alice.userId }, admin.accessToken)).data.user.email).toBe("alice@agora.test");
    expect((await stack.query(query, { id: alice.userId }, bob.accessToken)).data.user.email).toBeNull();
    expect((await stack.query(query, { id: alice.userId })).data.user.email).toBeNull();
  });

  it("lists all users for admins only", async () => {
    expect(code(await stack.query(`{ users(first: 5) { totalCount } }`, {}, bob.accessToken))).toBe("FORBIDDEN");
    expect((await stack.query(`{ users(first: 5) { totalCount } }`, {}, admin.accessToken)).data.users.totalCount).toBe(10);
  });
});

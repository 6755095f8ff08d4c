/**
 * SQL statements per request must not grow with list length (DESIGN.md, "What we measure"): the
 * gateway asks for the reviews and ratings of N offers in ONE `_entities` call, and reviews answers
 * it with a fixed number of statements, counted by the platform's Prisma clients.
 */
import { randomUUID } from "node:crypto";
import { createReviewAs, moderator, startReviews, user, type ReviewsHarness } from "./harness.js";

let h: ReviewsHarness;
const offerIds: string[] = [];
const authors = Array.from({ length: 4 }, () => user());

beforeAll(async () => {
  h = await startReviews("nplusone");
  // 20 offers with 4 reviews each by the same 4 authors, so User.reviews lists span offers too.
  for (let i = 0; i < 20; i++) offerIds.push(h.offers.add());
  await Promise.all(
    authors.map(async (author, a) => {
      for (const [i, offerId] of offerIds.entries()) await createReviewAs(h, author, offerId, ((i + a) % 5) + 1);
    }),
  );
});
afterAll(async () => {
  await h.stop();
});

const offersQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Offer { id
  reviews(first: 3) { edges { node { rating author { id } } } }
  rating { average count distribution { stars count } } } } }`;
const offersWithTotalQuery = offersQuery.replace("reviews(first: 3) {", "reviews(first: 3) { totalCount");
const usersQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id
  reviews(first: 3) { totalCount edges { node { rating offer { id } } } } } } }`;

/** Statements one request issues, and its data. */
async function measure(query: string, representations: unknown[], as = user()) {
  const before = h.runtime.db.statementCount();
  const response = await h.request(query, { r: representations }, as);
  expect(response.errors).toBeUndefined();
  return { statements: h.runtime.db.statementCount() - before, entities: response.data!._entities as any[] };
}

const offers = (n: number) => offerIds.slice(0, n).map((id) => ({ __typename: "Offer", id }));

describe("N+1", () => {
  it("answers reviews(first: 3) and rating of 2 or 20 offers with the same two statements", async () => {
    const two = await measure(offersQuery, offers(2));
    const twenty = await measure(offersQuery, offers(20));
    expect(two.statements).toBe(2); // one windowed page query + one OfferRating findMany
    expect(twenty.statements).toBe(two.statements);

    expect(twenty.entities).toHaveLength(20);
    for (const entity of twenty.entities) {
      expect(entity.reviews.edges).toHaveLength(3);
      expect(entity.rating.count).toBe(4);
      expect(entity.rating.distribution).toHaveLength(5);
    }
    expect(twenty.entities.map((e) => e.id)).toEqual(offerIds);
  });

  it("adds one grouped count only when totalCount is asked", async () => {
    const two = await measure(offersWithTotalQuery, offers(2));
    const twenty = await measure(offersWithTotalQuery, offers(20));
    expect(two.statements).toBe(3);
    expect(twenty.statements).toBe(3);
    expect(twenty.entities.every((e) => e.reviews.totalCount === 4)).toBe(true);
  });

  it("keeps the count flat for User.reviews, for moderators too", async () => {
    const users = (n: number) => authors.slice(0, n).map((a) => ({ __typename: "User", id: a.userId }));
    const one = await measure(usersQuery, users(1));
    const four = await measure(usersQuery, users(4), moderator());
    expect(one.statements).toBe(2);
    expect(four.statements).toBe(one.statements);
    expect(four.entities.every((e) => e.reviews.totalCount === 20 && e.reviews.edges.length === 3)).toBe(true);
  });

  it("batches Review entities by id in one statement", async () => {
    const ids = (await h.db.primary.review.findMany({ select: { id: true }, take: 15 })).map((r) => r.id);
    const reviewsQuery =
      "query($r: [_Any!]!) { _entities(representations: $r) { ... on Review { id rating author { id } offer { id } } } }";
    const few = await measure(
      reviewsQuery,
      ids.slice(0, 2).map((id) => ({ __typename: "Review", id })),
    );
    const many = await measure(
      reviewsQuery,
      [...ids, randomUUID()].map((id) => ({ __typename: "Review", id })),
    );
    expect(few.statements).toBe(1);
    expect(many.statements).toBe(1);
    expect(many.entities.at(-1)).toBeNull();
  });

  it("groups different page arguments into one statement per distinct (first, after)", async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Offer { id
      a: reviews(first: 1) { edges { node { id } } } b: reviews(first: 2) { edges { node { id } } } } } }`;
    const two = await measure(query, offers(2));
    const twenty = await measure(query, offers(20));
    expect(two.statements).toBe(2);
    expect(twenty.statements).toBe(2);
  });
});

import { randomUUID } from "node:crypto";
import { admin, codes, moderator, startReviews, user, type ReviewsHarness } from "./harness.js";

let h: ReviewsHarness;
beforeAll(async () => {
  h = await startReviews("pagination");
});
afterAll(async () => {
  await h.stop();
});

const offerReviews = `query($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Offer { id reviews(first: $first, after: $after) {
    totalCount edges { cursor node { id rating moderationStatus author { id } offer { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`;
const userReviews = offerReviews.replace("... on Offer", "... on User");

type Page = {
  totalCount: number;
  edges: {
    cursor: string;
    node: { id: string; rating: number; moderationStatus: string; author: { id: string }; offer: { id: string } };
  }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};

async function page(
  query: string,
  typename: "Offer" | "User",
  id: string,
  args: { first?: number; after?: string | null },
  as = user(),
): Promise<Page> {
  const response = await h.request(query, { r: [{ __typename: typename, id }], ...args }, as);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!._entities[0].reviews as Page;
}

/** Walks every page and returns the ids in order. */
async function walk(query: string, typename: "Offer" | "User", id: string, first: number, as = user()): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const current: Page = await page(query, typename, id, { first, after }, as);
    ids.push(...current.edges.map((e) => e.node.id));
    expect(current.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!current.pageInfo.hasNextPage) return ids;
    after = current.pageInfo.endCursor;
  }
  throw new Error("pagination did not end");
}

/**
 * Seven reviews of one offer written straight to the table with chosen timestamps, three of them
 * sharing one instant (ties are broken by id), one of them REJECTED.
 */
async function seedOffer() {
  const offerId = randomUUID();
  const base = Date.parse("2026-01-01T00:00:00.000Z");
  const rows = Array.from({ length: 7 }, (_, i) => ({
    id: randomUUID(),
    offerId,
    authorId: randomUUID(),
    rating: (i % 5) + 1,
    body: `review ${i}`,
    createdAt: new Date(base + (i < 3 ? 0 : i) * 60_000),
    moderationStatus: i === 4 ? ("REJECTED" as const) : ("APPROVED" as const),
  }));
  await h.db.primary.review.createMany({ data: rows });
  const newestFirst = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  return { offerId, rows, newestFirst, rejected: rows[4]! };
}

describe("Offer.reviews", () => {
  it("pages newest first with stable cursors across equal timestamps, hiding REJECTED reviews", async () => {
    const { offerId, newestFirst, rejected } = await seedOffer();
    const visible = newestFirst.filter((r) => r.id !== rejected.id).map((r) => r.id);
    for (const first of [1, 2, 3, 6, 100]) expect(await walk(offerReviews, "Offer", offerId, first)).toEqual(visible);

    const firstPage = await page(offerReviews, "Offer", offerId, { first: 2 });
    expect(firstPage.totalCount).toBe(6);
    expect(firstPage.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: firstPage.edges[0]!.cursor,
      endCursor: firstPage.edges[1]!.cursor,
    });
    expect(firstPage.edges[0]!.node).toMatchObject({ offer: { id: offerId }, author: { id: newestFirst[0]!.authorId } });

    const lastPage = await page(offerReviews, "Offer", offerId, {
      first: 2,
      after: (await page(offerReviews, "Offer", offerId, { first: 4 })).pageInfo.endCursor,
    });
    expect(lastPage.edges.map((e) => e.node.id)).toEqual(visible.slice(4));
    expect(lastPage.pageInfo.hasNextPage).toBe(false);
  });

  it("lists a REJECTED review to its author and to moderators, and counts it for them", async () => {
    const { offerId, newestFirst, rejected } = await seedOffer();
    const all = newestFirst.map((r) => r.id);
    const author = { userId: rejected.authorId, role: "USER" as const };
    for (const viewer of [author, moderator(), admin()]) {
      expect(await walk(offerReviews, "Offer", offerId, 3, viewer)).toEqual(all);
      expect((await page(offerReviews, "Offer", offerId, { first: 1 }, viewer)).totalCount).toBe(7);
    }
    const anonymous = await h.request(offerReviews, { r: [{ __typename: "Offer", id: offerId }], first: 10 }, null);
    expect(anonymous.data!._entities[0].reviews.edges).toHaveLength(6);
  });

  it("defaults to 20 and gives an empty connection for an offer without reviews", async () => {
    const offerId = randomUUID();
    await h.db.primary.review.createMany({
      data: Array.from({ length: 23 }, (_, i) => ({ offerId, authorId: randomUUID(), rating: 3, body: `r${i}` })),
    });
    const defaults = await page(offerReviews, "Offer", offerId, {});
    expect(defaults.edges).toHaveLength(20);
    expect(defaults.pageInfo.hasNextPage).toBe(true);
    expect(await page(offerReviews, "Offer", randomUUID(), { first: 5 })).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it.each([
    ["first above 100", { first: 101 }],
    ["first 0", { first: 0 }],
    ["a cursor it did not issue", { first: 5, after: "garbage" }],
    [
      "a cursor with a forged id",
      { first: 5, after: Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "x"])).toString("base64url") },
    ],
  ])("answers BAD_USER_INPUT for %s", async (_label, args) => {
    const response = await h.request(offerReviews, { r: [{ __typename: "Offer", id: randomUUID() }], ...args }, user());
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("User.reviews", () => {
  it("pages a user's reviews across offers, hiding their REJECTED ones from others", async () => {
    const author = user();
    const base = Date.parse("2026-02-01T00:00:00.000Z");
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: randomUUID(),
      offerId: randomUUID(),
      authorId: author.userId,
      rating: 4,
      body: `mine ${i}`,
      createdAt: new Date(base + i * 1000),
      moderationStatus: i === 2 ? ("REJECTED" as const) : ("PENDING" as const),
    }));
    await h.db.primary.review.createMany({ data: rows });
    const newestFirst = [...rows].reverse().map((r) => r.id);

    expect(await walk(userReviews, "User", author.userId, 2, author)).toEqual(newestFirst);
    expect(await walk(userReviews, "User", author.userId, 2, user())).toEqual(newestFirst.filter((id) => id !== rows[2]!.id));
    expect((await page(userReviews, "User", author.userId, { first: 1 }, user())).totalCount).toBe(4);
    expect((await page(userReviews, "User", author.userId, { first: 1 }, author)).totalCount).toBe(5);
  });
});

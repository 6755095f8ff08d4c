import { randomUUID } from "node:crypto";
import { startOffers, user, type OfferResult, type OffersHarness } from "./harness.js";

let offers: OffersHarness;
const sellers = Array.from({ length: 20 }, () => user());
const admin = user("ADMIN");
const offersBySeller = new Map<string, OfferResult[]>();

beforeAll(async () => {
  offers = await startOffers("entities");
  // Every seller: 3 active offers and 1 draft; inserted directly, the API is tested elsewhere.
  const now = Date.now();
  let n = 0;
  for (const seller of sellers) {
    const rows = [];
    for (let i = 0; i < 4; i++) {
      rows.push(
        await offers.db.primary.offer.create({
          data: {
            sellerId: seller.userId,
            title: `Item ${i} of ${seller.userId.slice(0, 8)}`,
            description: "Entity test offer",
            priceAmount: "10.00",
            currency: "EUR",
            category: "books",
            tags: [],
            lat: 0,
            lng: 0,
            status: i === 3 ? "DRAFT" : "ACTIVE",
            createdAt: new Date(now - ++n * 1000),
          },
        }),
      );
    }
    offersBySeller.set(
      seller.userId,
      rows.map((r) => ({
        id: r.id,
        title: r.title,
        status: r.status,
        price: { amount: "10.00", currency: "EUR" },
        seller: { id: seller.userId },
        createdAt: r.createdAt.toISOString(),
      })),
    );
  }
});
afterAll(async () => {
  await offers.stop();
});

/** Runs an operation and returns its response with the number of SQL statements it caused. */
async function measured(query: string, variables: Record<string, unknown>, as?: typeof admin) {
  const before = offers.runtime.db.statementCount();
  const result = await offers.request(query, variables, as);
  return { result, statements: offers.runtime.db.statementCount() - before };
}

describe("_entities(Offer)", () => {
  it("resolves many offers in one statement, in the order asked, with null for unknown ids", async () => {
    const all = [...offersBySeller.values()].flat().filter((o) => o.status === "ACTIVE");
    const asked = [all[5]!, all[0]!, all[17]!];
    const unknown = randomUUID();
    const { result, statements } = await measured(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Offer { id title price { amount currency } seller { id } } } }`,
      {
        reps: [
          ...asked.map((o) => ({ __typename: "Offer", id: o.id })),
          { __typename: "Offer", id: unknown },
          { __typename: "Offer", id: "not-a-uuid" },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      ...asked.map((o) => ({ id: o.id, title: o.title, price: { amount: "10.00", currency: "EUR" }, seller: { id: o.seller.id } })),
      null,
      null,
    ]);
    expect(statements).toBe(1);
  });
});

describe("User.offers for many users", () => {
  const query = `query($reps: [_Any!]!) {
    _entities(representations: $reps) {
      ... on User { id offers(first: 2) { totalCount edges { node { id title status seller { id } } } pageInfo { hasNextPage } } }
    }
  }`;
  const reps = (n: number) => sellers.slice(0, n).map((s) => ({ __typename: "User", id: s.userId }));

  it("returns each user's newest offers, correct per user", async () => {
    const { result } = await measured(query, { reps: reps(3) });
    expect(result.errors).toBeUndefined();
    result.data!._entities.forEach((entity: any, i: number) => {
      const expected = offersBySeller.get(sellers[i]!.userId)!.filter((o) => o.status === "ACTIVE");
      expect(entity.id).toBe(sellers[i]!.userId);
      expect(entity.offers.totalCount).toBe(3);
      expect(entity.offers.pageInfo.hasNextPage).toBe(true);
      expect(entity.offers.edges.map((e: any) => e.node.id)).toEqual(expected.slice(0, 2).map((o) => o.id));
    });
  });

  it("issues the same number of SQL statements for 2 users as for 20", async () => {
    const two = await measured(query, { reps: reps(2) });
    const twenty = await measured(query, { reps: reps(20) });
    expect(two.result.errors).toBeUndefined();
    expect(twenty.result.errors).toBeUndefined();
    expect(twenty.result.data!._entities).toHaveLength(20);
    // One windowed query for the pages, one grouped count for totalCount.
    expect(two.statements).toBe(2);
    expect(twenty.statements).toBe(two.statements);
  });

  it("skips the count when totalCount is not asked for", async () => {
    const { result, statements } = await measured(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { offers(first: 1) { edges { node { id } } } } } }`,
      { reps: reps(20) },
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toBe(1);
  });

  it("includes drafts per user for an admin, still in constant statements", async () => {
    const { result, statements } = await measured(query.replace("first: 2", "first: 10"), { reps: reps(20) }, admin);
    expect(result.errors).toBeUndefined();
    for (const entity of result.data!._entities) expect(entity.offers.totalCount).toBe(4);
    expect(statements).toBe(2);
  });

  it("answers an empty connection for a user without offers or with a non-UUID id", async () => {
    const { result } = await measured(query, {
      reps: [
        { __typename: "User", id: randomUUID() },
        { __typename: "User", id: "legacy-7" },
      ],
    });
    expect(result.errors).toBeUndefined();
    for (const entity of result.data!._entities)
      expect(entity.offers).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
  });
});

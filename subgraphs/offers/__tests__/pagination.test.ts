import { codes, fields, startOffers, user, type OffersHarness } from "./harness.js";

let offers: OffersHarness;
const seller = user();
const other = user();
const created: string[] = [];

const listQuery = `query List($filter: OffersFilter, $first: Int, $after: String) {
  offers(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id category price { amount } seller { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

beforeAll(async () => {
  offers = await startOffers("pagination");
  // 7 offers by `seller` (electronics, prices 10..70) and 2 by `other` (books).
  for (let i = 1; i <= 7; i++) {
    created.push(
      (
        await offers.createOffer(seller, {
          title: `Gadget number ${i}`,
          category: "electronics",
          price: { amount: `${i * 10}`, currency: "EUR" },
        })
      ).id,
    );
  }
  for (let i = 1; i <= 2; i++) {
    created.push(
      (await offers.createOffer(other, { title: `Book number ${i}`, category: "books", price: { amount: "5.50", currency: "EUR" } })).id,
    );
  }
});
afterAll(async () => {
  await offers.stop();
});

const list = (variables: Record<string, unknown>) => offers.request(listQuery, variables);

describe("offers pagination", () => {
  it("walks all pages newest first without overlap", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const result = await list({ first: 4, after });
      expect(result.errors).toBeUndefined();
      const connection = result.data!.offers;
      pages++;
      expect(connection.totalCount).toBe(9);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.edges.map((e: any) => e.node.id));
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1).cursor);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(9);
    expect(seen).toEqual([...created].reverse());
  });

  it("says there is no next page on an exact fit", async () => {
    const result = await list({ first: 9 });
    expect(result.data!.offers.edges).toHaveLength(9);
    expect(result.data!.offers.pageInfo.hasNextPage).toBe(false);
  });

  it("defaults to 20 and rejects first > 100, first < 1 and foreign cursors", async () => {
    expect((await list({})).data!.offers.edges).toHaveLength(9);
    for (const first of [101, 0, -1]) {
      const result = await list({ first });
      expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(fields(result)).toEqual(["first"]);
    }
    for (const after of ["garbage", Buffer.from('["s", 3]').toString("base64url")]) {
      const result = await list({ after });
      expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(fields(result)).toEqual(["after"]);
    }
  });

  it("filters by category, seller and price range", async () => {
    const byCategory = await list({ filter: { category: "books" } });
    expect(byCategory.data!.offers.totalCount).toBe(2);
    const bySeller = await list({ filter: { sellerId: seller.userId } });
    expect(bySeller.data!.offers.totalCount).toBe(7);
    expect(bySeller.data!.offers.edges.every((e: any) => e.node.seller.id === seller.userId)).toBe(true);
    const byPrice = await list({ filter: { priceMin: "20", priceMax: "40.00" } });
    expect(byPrice.data!.offers.edges.map((e: any) => e.node.price.amount).sort()).toEqual(["20.00", "30.00", "40.00"]);
  });

  it("validates the filter", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ category: "spaceships" }, "filter.category"],
      [{ sellerId: "nope" }, "filter.sellerId"],
      [{ priceMin: "ten" }, "filter.priceMin"],
      [{ priceMax: "1.999" }, "filter.priceMax"],
      [{ priceMin: "50", priceMax: "10" }, "filter.priceMin"],
    ];
    for (const [filter, field] of cases) {
      const result = await list({ filter });
      expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(fields(result)).toEqual([field]);
    }
  });
});

describe("User.offers pagination", () => {
  const query = `query($reps: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $reps) { ... on User { offers(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }
  }`;

  it("pages through one seller's offers without overlap", async () => {
    const reps = [{ __typename: "User", id: seller.userId }];
    const first = await offers.request(query, { reps, first: 5 });
    const page1 = first.data!._entities[0].offers;
    expect(page1.edges).toHaveLength(5);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await offers.request(query, { reps, first: 5, after: page1.pageInfo.endCursor });
    const page2 = second.data!._entities[0].offers;
    expect(page2.edges).toHaveLength(2);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const ids = [...page1.edges, ...page2.edges].map((e: any) => e.node.id);
    expect(ids).toEqual(created.slice(0, 7).reverse());
  });

  it("rejects first > 100 and bad cursors", async () => {
    const reps = [{ __typename: "User", id: seller.userId }];
    expect(codes(await offers.request(query, { reps, first: 101 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await offers.request(query, { reps, after: "not-a-cursor" }))).toEqual(["BAD_USER_INPUT"]);
  });
});

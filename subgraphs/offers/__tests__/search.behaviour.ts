/**
 * What a client sees from `searchOffers`, whatever the backend. Run by search.postgres.test.ts
 * (always) and search.elasticsearch.test.ts (when ELASTICSEARCH_URL is set); both must pass the
 * same expectations, so switching backends never changes the API's behaviour.
 */
import {
  archiveOfferMutation,
  startOffers,
  updateOfferMutation,
  user,
  type OfferInput,
  type OfferResult,
  type OffersHarness,
} from "./harness.js";
import type { SearchBackend } from "../src/search/search-backend.js";

export interface SearchBackendUnderTest {
  backend: SearchBackend;
  /** Makes every write so far visible to searches (Elasticsearch: refresh the index). */
  settle(): Promise<void>;
  /** Removes what the backend created (e.g. the test index). */
  cleanup(): Promise<void>;
}

export type SearchBackendFactory = () => Promise<SearchBackendUnderTest>;

const berlin = { lat: 52.52, lng: 13.405 };
const potsdam = { lat: 52.3906, lng: 13.0645 }; // ~27 km from Berlin
const munich = { lat: 48.1374, lng: 11.5755 }; // ~504 km
const paris = { lat: 48.8566, lng: 2.3522 }; // ~878 km

const searchQuery = `query Search($query: String!, $filter: OfferSearchFilter, $sort: OfferSearchSort, $first: Int, $after: String) {
  searchOffers(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title status price { amount currency } category location { lat lng } seller { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

export function describeSearchBehaviour(title: string, factory: SearchBackendFactory, describeFn: jest.Describe = describe): void {
  describeFn(title, () => {
    let offers: OffersHarness;
    let subject: SearchBackendUnderTest;
    const sellerA = user();
    const sellerB = user();
    const ids: Record<string, string> = {};

    const create = async (key: string, seller: typeof sellerA, input: Partial<OfferInput>, publish = true): Promise<OfferResult> => {
      const offer = await offers.createOffer(seller, input, { publish });
      ids[key] = offer.id;
      return offer;
    };

    const search = async (variables: Record<string, unknown>) => {
      const result = await offers.request(searchQuery, variables);
      expect(result.errors).toBeUndefined();
      return result.data!.searchOffers;
    };
    const keysOf = (connection: any) =>
      connection.edges.map((e: any) => Object.entries(ids).find(([, id]) => id === e.node.id)?.[0] ?? e.node.id);
    const sorted = (keys: string[]) => [...keys].sort();

    beforeAll(async () => {
      subject = await factory();
      offers = await startOffers(`search${subject.backend.name}`, { search: subject.backend });
      const money = (amount: string) => ({ amount, currency: "EUR" });
      await create("mountain", sellerA, {
        title: "Red mountain bike",
        description: "Full suspension mountain bike with 29 inch wheels.",
        category: "sports",
        price: money("800.00"),
        location: berlin,
      });
      await create("road", sellerB, {
        title: "Road bike with carbon frame",
        description: "Lightweight racing bicycle, Shimano Ultegra.",
        category: "sports",
        price: money("1500.00"),
        location: munich,
      });
      await create("kids", sellerA, {
        title: "Kids bike",
        description: "Small bike for children: a bike with training wheels, the perfect first bike.",
        category: "toys",
        price: money("60.00"),
        location: potsdam,
      });
      await create("table", sellerB, {
        title: "Oak dining table",
        description: "Solid oak table that seats six people.",
        category: "furniture",
        price: money("300.00"),
        location: berlin,
      });
      await create("helmet", sellerB, {
        title: "Bike helmet",
        description: "Helmet in size M, barely used.",
        category: "sports",
        price: money("25.00"),
        location: paris,
      });
      await create("draft", sellerA, { title: "Draft bike", description: "Not published yet: a bike.", price: money("10.00") }, false);
      const archived = await create("archived", sellerA, {
        title: "Archived bike",
        description: "Sold already: a bike.",
        price: money("20.00"),
      });
      await offers.request(archiveOfferMutation, { id: archived.id }, sellerA);
      await subject.settle();
    });

    afterAll(async () => {
      await offers?.stop();
      await subject?.cleanup();
    });

    it("finds ACTIVE offers by stemmed words in title or description, never drafts or archived ones", async () => {
      const result = await search({ query: "bikes" });
      expect(sorted(keysOf(result))).toEqual(["helmet", "kids", "mountain", "road"]);
      expect(result.totalCount).toBe(4);
      expect(result.edges.every((e: any) => e.node.status === "ACTIVE")).toBe(true);
    });

    it("returns complete offers, loaded like any other", async () => {
      const result = await search({ query: "oak" });
      expect(result.edges).toHaveLength(1);
      expect(result.edges[0].node).toEqual({
        id: ids.table,
        title: "Oak dining table",
        status: "ACTIVE",
        price: { amount: "300.00", currency: "EUR" },
        category: "furniture",
        location: berlin,
        seller: { id: sellerB.userId },
      });
    });

    it("requires every word of the query", async () => {
      expect(keysOf(await search({ query: "mountain bike" }))).toEqual(["mountain"]);
      expect(keysOf(await search({ query: "carbon table" }))).toEqual([]);
    });

    it("answers an empty connection when nothing matches", async () => {
      const result = await search({ query: "submarine" });
      expect(result).toEqual({
        totalCount: 0,
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    });

    it("ranks the offer most about the query first by relevance", async () => {
      const result = await search({ query: "bike", sort: "RELEVANCE" });
      expect(keysOf(result)[0]).toBe("kids");
    });

    it("filters by category, seller and price range", async () => {
      expect(sorted(keysOf(await search({ query: "bike", filter: { category: "sports" } })))).toEqual(["helmet", "mountain", "road"]);
      expect(sorted(keysOf(await search({ query: "bike", filter: { sellerId: sellerA.userId } })))).toEqual(["kids", "mountain"]);
      expect(sorted(keysOf(await search({ query: "bike", filter: { priceMin: "60", priceMax: "800.00" } })))).toEqual(["kids", "mountain"]);
      expect(keysOf(await search({ query: "bike", filter: { priceMin: "1000" } }))).toEqual(["road"]);
      const combined = await search({ query: "bike", filter: { category: "sports", sellerId: sellerB.userId, priceMax: "100" } });
      expect(keysOf(combined)).toEqual(["helmet"]);
      expect(combined.totalCount).toBe(1);
    });

    it("filters by distance", async () => {
      expect(sorted(keysOf(await search({ query: "bike", filter: { near: { ...berlin, radiusKm: 50 } } })))).toEqual(["kids", "mountain"]);
      expect(keysOf(await search({ query: "bike", filter: { near: { ...berlin, radiusKm: 10 } } }))).toEqual(["mountain"]);
      expect(sorted(keysOf(await search({ query: "bike", filter: { near: { ...munich, radiusKm: 600 } } })))).toEqual([
        "kids",
        "mountain",
        "road",
      ]);
    });

    it("sorts by price, newest and distance", async () => {
      expect(keysOf(await search({ query: "bike", sort: "PRICE_ASC" }))).toEqual(["helmet", "kids", "mountain", "road"]);
      expect(keysOf(await search({ query: "bike", sort: "PRICE_DESC" }))).toEqual(["road", "mountain", "kids", "helmet"]);
      expect(keysOf(await search({ query: "bike", sort: "NEWEST" }))).toEqual(["helmet", "kids", "road", "mountain"]);
      const byDistance = await search({ query: "bike", sort: "DISTANCE", filter: { near: { ...berlin, radiusKm: 20000 } } });
      expect(keysOf(byDistance)).toEqual(["mountain", "kids", "road", "helmet"]);
    });

    it("pages with opaque cursors, without overlap", async () => {
      const first = await search({ query: "bike", sort: "PRICE_ASC", first: 3 });
      expect(keysOf(first)).toEqual(["helmet", "kids", "mountain"]);
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(first.totalCount).toBe(4);
      const second = await search({ query: "bike", sort: "PRICE_ASC", first: 3, after: first.pageInfo.endCursor });
      expect(keysOf(second)).toEqual(["road"]);
      expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const third = await search({ query: "bike", sort: "PRICE_ASC", first: 3, after: second.pageInfo.endCursor });
      expect(third.edges).toEqual([]);
      expect(third.pageInfo.hasNextPage).toBe(false);
      // Cursors of the middle of a page continue right after that edge.
      const fromMiddle = await search({ query: "bike", sort: "PRICE_ASC", first: 2, after: first.edges[0].cursor });
      expect(keysOf(fromMiddle)).toEqual(["kids", "mountain"]);
    });

    it("follows writes: an edited offer is found by its new words, an archived one disappears", async () => {
      const lamp = await create("lamp", sellerA, { title: "Brass desk lamp", description: "Warm light, works fine.", category: "home" });
      await subject.settle();
      expect(keysOf(await search({ query: "brass lamp" }))).toEqual(["lamp"]);

      const updated = await offers.request(updateOfferMutation, { id: lamp.id, input: { title: "Copper desk lamp" } }, sellerA);
      expect(updated.errors).toBeUndefined();
      await subject.settle();
      expect(keysOf(await search({ query: "brass lamp" }))).toEqual([]);
      expect(keysOf(await search({ query: "copper lamp" }))).toEqual(["lamp"]);

      await offers.request(archiveOfferMutation, { id: lamp.id }, sellerA);
      await subject.settle();
      expect(keysOf(await search({ query: "copper lamp" }))).toEqual([]);
    });
  });
}

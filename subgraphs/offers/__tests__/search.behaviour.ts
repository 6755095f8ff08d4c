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
import type { Identity } from "@agora/platform";
import type { SearchBackend } from "../src/search/search-backend.js";

export interface SearchBackendUnderTest {
  backend: SearchBackend;
  /** Makes every write so far visible to searches (applies the search outbox; Elasticsearch: refreshes the index). */
  settle(offers: OffersHarness): Promise<void>;
  /** Removes what the backend created (e.g. the test index). */
  cleanup(): Promise<void>;
}

export type SearchBackendFactory = () => Promise<SearchBackendUnderTest>;

const berlin = { lat: 52.52, lng: 13.405 };
const potsdam = { lat: 52.3906, lng: 13.0645 }; // ~27 km from Berlin
const munich = { lat: 48.1374, lng: 11.5755 }; // ~504 km
const paris = { lat: 48.8566, lng: 2.3522 }; // ~878 km

const searchQuery = `query Search($query: String, $filter: OfferSearchFilter, $sort: OfferSearchSort, $first: Int, $after: String) {
  searchOffers(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title status price { amount currency } category location { lat lng } seller { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const highlightQuery = `query Highlight($query: String, $filter: OfferSearchFilter, $sort: OfferSearchSort) {
  searchOffers(query: $query, filter: $filter, sort: $sort) { edges { node { id } highlight { title description tags } distanceKm } }
}`;
const facetQuery = `query Facets($query: String, $filter: OfferSearchFilter) {
  searchOffers(query: $query, filter: $filter, first: 100) {
    totalCount
    edges { node { id category price { amount } } distanceKm }
    facets { categories { category count } price { min max count } distance { fromKm toKm count } }
  }
}`;
const suggestionQuery = `query Suggest($query: String, $filter: OfferSearchFilter) {
  searchOffers(query: $query, filter: $filter) { totalCount suggestion }
}`;

export function describeSearchBehaviour(title: string, factory: SearchBackendFactory, describeFn: jest.Describe = describe): void {
  describeFn(title, () => {
    let offers: OffersHarness;
    let subject: SearchBackendUnderTest;
    const sellerA = user();
    const sellerB = user();
    const ids: Record<string, string> = {};

    const create = async (key: string, seller: typeof sellerA, input: Partial<OfferInput>, publish = true): Promise<OfferResult> => {
      const offer = await offers.createOffer(seller, { tags: [], ...input }, { publish });
      ids[key] = offer.id;
      return offer;
    };

    const search = async (variables: Record<string, unknown>, query = searchQuery, as?: Identity) => {
      const result = await offers.request(query, variables, as);
      expect(result.errors).toBeUndefined();
      return result.data!.searchOffers;
    };
    /** Every page of a search, `first` at a time; `between` runs before each next page. */
    const allPages = async (variables: Record<string, unknown>, first: number, between?: (page: number) => Promise<void>) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const result = await search({ ...variables, first, after });
        seen.push(...keysOf(result));
        if (!result.pageInfo.hasNextPage) return seen;
        after = result.pageInfo.endCursor;
        await between?.(page);
      }
      throw new Error("more than 50 pages");
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
      await create("chair", sellerA, {
        title: 'Armchair <b>with</b> "cushions" & footstool',
        description: "Comfortable reading chair, green velvet.",
        category: "furniture",
        tags: ["vintage", "midcentury"],
        price: money("120.00"),
        location: potsdam,
      });
      await create("draft", sellerA, { title: "Draft bike", description: "Not published yet: a bike.", price: money("10.00") }, false);
      const archived = await create("archived", sellerA, {
        title: "Archived bike",
        description: "Sold already: a bike.",
        price: money("20.00"),
      });
      await offers.request(archiveOfferMutation, { id: archived.id }, sellerA);
      await subject.settle(offers);
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

    it("searches tags as well as titles and descriptions", async () => {
      expect(keysOf(await search({ query: "vintage" }))).toEqual(["chair"]);
      expect(keysOf(await search({ query: "midcentury armchair" }))).toEqual(["chair"]);
    });

    it("tolerates typos: swapped, missing, doubled and wrong letters", async () => {
      expect(keysOf(await search({ query: "mountian" }))).toEqual(["mountain"]);
      expect(sorted(keysOf(await search({ query: "bkie" })))).toEqual(["helmet", "kids", "mountain", "road"]);
      expect(keysOf(await search({ query: "helmt" }))).toEqual(["helmet"]);
      expect(keysOf(await search({ query: "diningg tabel" }))).toEqual(["table"]);
      expect(keysOf(await search({ query: "vintgae" }))).toEqual(["chair"]);
      // Exact words still rank first and still must all be there.
      expect(keysOf(await search({ query: "carbon tabel" }))).toEqual([]);
    });

    it("marks the matched words in highlighted, HTML-escaped snippets", async () => {
      const [oak] = (await search({ query: "oak" }, highlightQuery)).edges;
      expect(oak.highlight.title).toBe("<mark>Oak</mark> dining table");
      expect(oak.highlight.description).toContain("<mark>oak</mark>");
      expect(oak.highlight.tags).toEqual([]);
      const [chair] = (await search({ query: "vintage cushions" }, highlightQuery)).edges;
      expect(chair.highlight.title).toBe("Armchair &lt;b&gt;with&lt;/b&gt; &quot;<mark>cushions</mark>&quot; &amp; footstool");
      expect(chair.highlight.tags).toEqual(["<mark>vintage</mark>"]);
      expect(chair.highlight.description).not.toContain("<mark>");
      const [typo] = (await search({ query: "mountian" }, highlightQuery)).edges;
      expect(typo.highlight.title).toBe("Red <mark>mountain</mark> bike");
      // An empty query has nothing to highlight.
      const listed = await search({ query: "" }, highlightQuery);
      expect(listed.edges.every((e: any) => e.highlight === null)).toBe(true);
    });

    it("lists the filtered offers newest first for an empty or blank query", async () => {
      const everything = ["chair", "helmet", "table", "kids", "road", "mountain"];
      expect(keysOf(await search({ query: "" })).filter((k: string) => everything.includes(k))).toEqual(everything);
      expect(keysOf(await search({ query: "   \t " })).filter((k: string) => everything.includes(k))).toEqual(everything);
      expect(keysOf(await search({}, searchQuery)).filter((k: string) => everything.includes(k))).toEqual(everything);
      expect(keysOf(await search({ query: " ", filter: { category: "furniture" } }))).toEqual(["chair", "table"]);
      expect(keysOf(await search({ query: "", filter: { near: { ...berlin, radiusKm: 5 } } }))).toEqual(["table", "mountain"]);
    });

    it("counts facets over every match of the query and filters", async () => {
      const bikes = await search({ query: "bike" }, facetQuery);
      expect(bikes.facets.categories).toEqual([
        { category: "sports", count: 3 },
        { category: "toys", count: 1 },
      ]);
      expect(bikes.facets.price).toEqual([
        { min: "25.00", max: "50.00", count: 1 },
        { min: "50.00", max: "100.00", count: 1 },
        { min: "500.00", max: "1000.00", count: 1 },
        { min: "1000.00", max: "2500.00", count: 1 },
      ]);
      expect(bikes.facets.distance).toEqual([]);

      // Each facet equals counting the results themselves.
      for (const variables of [
        { query: "bike", filter: { near: { ...berlin, radiusKm: 600 } } },
        { query: "", filter: { near: { ...potsdam, radiusKm: 1000 } } },
        { query: "", filter: { priceMax: "500" } },
      ]) {
        const result = await search(variables, facetQuery);
        const byCategory: Record<string, number> = {};
        for (const e of result.edges) byCategory[e.node.category] = (byCategory[e.node.category] ?? 0) + 1;
        expect(Object.fromEntries(result.facets.categories.map((c: any) => [c.category, c.count]))).toEqual(byCategory);
        const inBucket = (b: any) =>
          result.edges.filter(
            (e: any) => Number(e.node.price.amount) >= Number(b.min) && (b.max === null || Number(e.node.price.amount) < Number(b.max)),
          ).length;
        expect(result.facets.price.map((b: any) => b.count)).toEqual(result.facets.price.map(inBucket));
        expect(result.facets.price.reduce((sum: number, b: any) => sum + b.count, 0)).toBe(result.totalCount);
        if (variables.filter.near) {
          const inBand = (b: any) =>
            result.edges.filter(
              (e: any) => e.distanceKm >= b.fromKm && e.distanceKm < b.toKm + (b.toKm === variables.filter.near!.radiusKm ? 1e-9 : 0),
            ).length;
          expect(result.facets.distance.map((b: any) => b.count)).toEqual(result.facets.distance.map(inBand));
          expect(result.facets.distance.reduce((sum: number, b: any) => sum + b.count, 0)).toBe(result.totalCount);
        }
      }
      const near = await search({ query: "bike", filter: { near: { ...berlin, radiusKm: 600 } } }, facetQuery);
      expect(near.facets.distance).toEqual([
        { fromKm: 0, toKm: 1, count: 1 },
        { fromKm: 25, toKm: 50, count: 1 },
        { fromKm: 500, toKm: 600, count: 1 },
      ]);
    });

    it("suggests known words when nothing matches, only if the suggestion finds something", async () => {
      expect(await search({ query: "bkei" }, suggestionQuery)).toEqual({ totalCount: 0, suggestion: "bike" });
      expect(await search({ query: "red bkei" }, suggestionQuery)).toEqual({ totalCount: 0, suggestion: "red bike" });
      expect(await search({ query: "xylophone" }, suggestionQuery)).toEqual({ totalCount: 0, suggestion: null });
      // "bike" finds nothing in furniture: no point suggesting it there.
      expect(await search({ query: "bkei", filter: { category: "furniture" } }, suggestionQuery)).toEqual({
        totalCount: 0,
        suggestion: null,
      });
      expect(await search({ query: "bike" }, suggestionQuery)).toEqual({ totalCount: 4, suggestion: null });
    });

    it("reports the distance of each hit from the search point", async () => {
      const result = await search({ query: "bike", filter: { near: { ...berlin, radiusKm: 100 } }, sort: "DISTANCE" }, highlightQuery);
      const distances = result.edges.map((e: any) => e.distanceKm);
      expect(distances[0]).toBeLessThan(1);
      expect(distances[1]).toBeGreaterThan(25);
      expect(distances[1]).toBeLessThan(30);
    });

    it("shows drafts only to their seller (with sellerId) and admins", async () => {
      const mine = await search({ query: "bike", filter: { status: "DRAFT", sellerId: sellerA.userId } }, searchQuery, sellerA);
      expect(keysOf(mine)).toEqual(["draft"]);
      const admin = await search({ query: "", filter: { status: "ARCHIVED" } }, searchQuery, user("ADMIN"));
      expect(keysOf(admin)).toContain("archived");
      const stranger = await offers.request(searchQuery, { query: "bike", filter: { status: "DRAFT", sellerId: sellerA.userId } }, sellerB);
      expect(stranger.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const anonymous = await offers.request(searchQuery, { query: "bike", filter: { status: "DRAFT" } });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    });

    it("pages through every match exactly once while offers are added and removed between pages", async () => {
      const extra: string[] = [];
      for (const sort of ["RELEVANCE", "NEWEST", "PRICE_ASC", "PRICE_DESC", "DISTANCE"]) {
        const variables = { query: "bike", sort, filter: { near: { ...berlin, radiusKm: 20000 } } };
        const before = keysOf(await search({ ...variables, first: 100 }));
        const seen = await allPages(variables, 1, async (page) => {
          if (page > 3) return;
          // A new match (cheapest, newest, nearest, most relevant: it lands before the cursor or after it).
          const added = await create(`extra-${sort}-${page}`, sellerB, {
            title: "Bike bike bike",
            description: "Another bike: bike bike.",
            category: "sports",
            price: { amount: page % 2 ? "1.00" : "9000.00", currency: "EUR" },
            location: berlin,
          });
          extra.push(added.id);
          await subject.settle(offers);
        });
        const original = seen.filter((k) => before.includes(k));
        expect(sorted(original)).toEqual(sorted(before));
        expect(new Set(seen).size).toBe(seen.length);
      }
      for (const id of extra) await offers.request(archiveOfferMutation, { id }, sellerB);
      await subject.settle(offers);

      // Removing a match between pages: every other one still comes exactly once.
      const gizmos: string[] = [];
      for (const amount of ["1.00", "2.00", "3.00", "4.00"]) {
        const gizmo = await create(`gizmo-${amount}`, sellerB, {
          title: "Gizmo",
          description: "A gizmo.",
          category: "home",
          price: { amount, currency: "EUR" },
        });
        gizmos.push(gizmo.id);
      }
      await subject.settle(offers);
      const seen = await allPages({ query: "gizmo", sort: "PRICE_ASC" }, 1, async (page) => {
        if (page !== 0) return;
        await offers.request(archiveOfferMutation, { id: ids["gizmo-3.00"] }, sellerB);
        await subject.settle(offers);
      });
      expect(seen).toEqual(["gizmo-1.00", "gizmo-2.00", "gizmo-4.00"]);
      for (const id of gizmos) await offers.request(archiveOfferMutation, { id }, sellerB);
      await subject.settle(offers);
    });

    it("treats engine syntax and injection attempts as plain text, never as an engine error", async () => {
      const attempts = [
        "'; DROP TABLE offers.offers; --",
        "bike' OR '1'='1",
        "bike) | (oak",
        "bike & !oak <-> table:*",
        "title:bike OR description:*",
        '{"query":{"match_all":{}}}',
        "bike AND (",
        "bike~2 oak^10 \\ / [a TO z]",
        '"unclosed phrase',
        "-",
        "- - -",
        "*",
        "???",
        "!!!",
        "<script>alert(1)</script>",
        "\u0000\u0002bike\u0003",
        "ünïcödé 自転車 🚲",
        "or",
      ];
      for (const query of attempts) {
        const result = await offers.request(facetQuery, { query });
        expect({ query, errors: result.errors }).toEqual({ query, errors: undefined });
        expect(result.data!.searchOffers.totalCount).toBe(result.data!.searchOffers.edges.length);
      }
      // Operators are not syntax here: the words around them still count.
      expect(keysOf(await search({ query: "'; DROP TABLE offers; --" }))).toEqual([]);
      const bikes = ["helmet", "kids", "mountain", "road"];
      expect(sorted(keysOf(await search({ query: "bike' OR '1'='1" })))).toEqual(bikes);
      expect(sorted(keysOf(await search({ query: "bike AND (" })))).toEqual(bikes);
      expect(keysOf(await search({ query: "oak)" }))).toEqual(["table"]);
      expect(keysOf(await search({ query: "!!!" }))).toEqual([]);
      expect(keysOf(await search({ query: "<script>alert(1)</script>" }))).toEqual([]);
      // The table survived.
      expect(keysOf(await search({ query: "oak" }))).toEqual(["table"]);
    });

    it("refuses bad arguments with BAD_USER_INPUT naming the field", async () => {
      const refused = async (variables: Record<string, unknown>, field: string) => {
        const result = await offers.request(searchQuery, variables);
        expect({ variables, codes: result.errors?.map((e) => e.extensions?.code) }).toEqual({ variables, codes: ["BAD_USER_INPUT"] });
        expect(result.errors?.[0]?.extensions?.field).toBe(field);
        expect(result.errors?.[0]?.message).not.toMatch(/prisma|postgres|elastic|syntax error|stack/i);
      };
      await refused({ query: "b".repeat(201) }, "query");
      await refused({ query: "bike", filter: { near: { lat: 91, lng: 0, radiusKm: 5 } } }, "filter.near.lat");
      await refused({ query: "bike", filter: { near: { lat: -90.5, lng: 0, radiusKm: 5 } } }, "filter.near.lat");
      await refused({ query: "bike", filter: { near: { lat: 0, lng: 180.01, radiusKm: 5 } } }, "filter.near.lng");
      await refused({ query: "bike", filter: { near: { ...berlin, radiusKm: -5 } } }, "filter.near.radiusKm");
      await refused({ query: "bike", filter: { near: { ...berlin, radiusKm: 0 } } }, "filter.near.radiusKm");
      await refused({ query: "bike", filter: { near: { ...berlin, radiusKm: 1e12 } } }, "filter.near.radiusKm");
      await refused({ query: "bike", filter: { priceMin: "100", priceMax: "10" } }, "filter.priceMin");
      await refused({ query: "bike", filter: { priceMin: "-1" } }, "filter.priceMin");
      await refused({ query: "bike", filter: { priceMax: "1e3" } }, "filter.priceMax");
      await refused({ query: "bike", filter: { category: "weapons" } }, "filter.category");
      await refused({ query: "bike", filter: { sellerId: "not-a-uuid" } }, "filter.sellerId");
      await refused({ query: "bike", sort: "DISTANCE" }, "sort");
      await refused({ query: "bike", first: 0 }, "first");
      await refused({ query: "bike", first: 101 }, "first");

      // Cursors: from another query, filter or sort, tampered, or not a cursor at all.
      const page = await search({ query: "bike", sort: "PRICE_ASC", first: 1 });
      const cursor: string = page.pageInfo.endCursor;
      await refused({ query: "oak", sort: "PRICE_ASC", after: cursor }, "after");
      await refused({ query: "bike", sort: "PRICE_DESC", after: cursor }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", filter: { category: "sports" }, after: cursor }, "after");
      const [tag, payload] = cursor.split(".");
      const body = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
      const tampered = (change: (b: any) => void) => {
        const copy = structuredClone(body);
        change(copy);
        return `${tag}.${Buffer.from(JSON.stringify(copy)).toString("base64url")}`;
      };
      await refused({ query: "bike", sort: "PRICE_ASC", after: tampered((b) => (b.k[0] = "1; DROP TABLE x")) }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: tampered((b) => (b.k[2] = "' OR 1=1 --")) }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: tampered((b) => (b.k[1] = "yesterday")) }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: tampered((b) => b.k.push(1)) }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: tampered((b) => (b.f = "x")) }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: "garbage" }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: "" }, "after");
      await refused({ query: "bike", sort: "PRICE_ASC", after: `${tag}.${"A".repeat(50)}` }, "after");
      // A cursor of the plain offers listing is not a search cursor.
      const listing = await offers.request(`{ offers(first: 1) { pageInfo { endCursor } } }`);
      await refused({ query: "bike", after: listing.data!.offers.pageInfo.endCursor }, "after");
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
      await subject.settle(offers);
      expect(keysOf(await search({ query: "brass lamp" }))).toEqual(["lamp"]);

      const updated = await offers.request(updateOfferMutation, { id: lamp.id, input: { title: "Copper desk lamp" } }, sellerA);
      expect(updated.errors).toBeUndefined();
      await subject.settle(offers);
      expect(keysOf(await search({ query: "brass lamp" }))).toEqual([]);
      expect(keysOf(await search({ query: "copper lamp" }))).toEqual(["lamp"]);

      await offers.request(archiveOfferMutation, { id: lamp.id }, sellerA);
      await subject.settle(offers);
      expect(keysOf(await search({ query: "copper lamp" }))).toEqual([]);
    });
  });
}

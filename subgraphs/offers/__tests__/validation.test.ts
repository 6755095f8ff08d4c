import { codes, createOfferMutation, fields, startOffers, updateOfferMutation, user, validInput, type OffersHarness } from "./harness.js";

let offers: OffersHarness;
const seller = user();
beforeAll(async () => {
  offers = await startOffers("validation");
});
afterAll(async () => {
  await offers.stop();
});

type Input = Record<string, unknown>;
const money = (amount: string, currency = "EUR") => ({ price: { amount, currency } });

/** Each invalid input, the field the error must name. */
const invalid: [string, Input, string][] = [
  ["title too short", { title: "ab" }, "input.title"],
  ["title only spaces", { title: "     " }, "input.title"],
  ["title too long", { title: "x".repeat(121) }, "input.title"],
  ["description empty", { description: "" }, "input.description"],
  ["description too long", { description: "d".repeat(5001) }, "input.description"],
  ["amount zero", money("0"), "input.price.amount"],
  ["amount negative", money("-5"), "input.price.amount"],
  ["amount with 3 decimals", money("1.999"), "input.price.amount"],
  ["amount not a number", money("abc"), "input.price.amount"],
  ["amount with a comma", money("12,50"), "input.price.amount"],
  ["amount in exponent form", money("1e3"), "input.price.amount"],
  ["amount too large", money("10000000000.00"), "input.price.amount"],
  ["currency lower-case", money("10", "eur"), "input.price.currency"],
  ["currency unknown", money("10", "XYZ"), "input.price.currency"],
  ["category unknown", { category: "spaceships" }, "input.category"],
  ["11 tags", { tags: Array.from({ length: 11 }, (_, i) => `tag${i}`) }, "input.tags"],
  ["empty tag", { tags: ["ok", " "] }, "input.tags[1]"],
  ["tag too long", { tags: ["t".repeat(31)] }, "input.tags[0]"],
  ["latitude above 90", { location: { lat: 90.5, lng: 0 } }, "input.location.lat"],
  ["latitude below -90", { location: { lat: -91, lng: 0 } }, "input.location.lat"],
  ["longitude above 180", { location: { lat: 0, lng: 180.1 } }, "input.location.lng"],
  ["longitude below -180", { location: { lat: 0, lng: -181 } }, "input.location.lng"],
];

describe("createOffer validation", () => {
  it.each(invalid)("rejects %s naming the field, writing nothing", async (_name, override, field) => {
    const before = await offers.db.primary.offer.count();
    const result = await offers.request(createOfferMutation, { input: { ...validInput(), ...override } }, seller);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(fields(result)).toEqual([field]);
    expect(result.errors![0]!.message).toContain(field);
    expect(await offers.db.primary.offer.count()).toBe(before);
  });

  it("accepts the boundaries", async () => {
    const result = await offers.request(
      createOfferMutation,
      {
        input: {
          ...validInput(),
          title: "abc",
          description: "d",
          ...money("9999999999.99", "PLN"),
          tags: Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(30, "t")),
          location: { lat: -90, lng: 180 },
        },
      },
      seller,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createOffer).toMatchObject({
      price: { amount: "9999999999.99", currency: "PLN" },
      location: { lat: -90, lng: 180 },
    });
    const long = await offers.request(
      createOfferMutation,
      { input: { ...validInput(), title: "t".repeat(120), description: "d".repeat(5000), ...money("0.01") } },
      seller,
    );
    expect(long.errors).toBeUndefined();
    expect(long.data!.createOffer.price.amount).toBe("0.01");
  });

  it("rejects a missing required field before any resolver runs", async () => {
    const { title: _omitted, ...withoutTitle } = validInput();
    const result = await offers.request(createOfferMutation, { input: withoutTitle }, seller);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("updateOffer validation", () => {
  it.each(invalid)("rejects %s naming the field, changing nothing", async (_name, override, field) => {
    const created = await offers.createOffer(seller);
    const before = await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } });
    const result = await offers.request(
      updateOfferMutation,
      { id: created.id, input: { title: "A valid new title", ...override } },
      seller,
    );
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(fields(result)).toEqual([field]);
    expect(await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } })).toEqual(before);
  });

  it("rejects an explicit null for a field", async () => {
    const created = await offers.createOffer(seller);
    const result = await offers.request(updateOfferMutation, { id: created.id, input: { title: null } }, seller);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(fields(result)).toEqual(["input.title"]);
  });

  it("moves updatedAt on a change", async () => {
    const created = await offers.createOffer(seller);
    const before = await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await offers.request(updateOfferMutation, { id: created.id, input: { tags: [] } }, seller);
    expect(result.data!.updateOffer.tags).toEqual([]);
    expect(new Date(result.data!.updateOffer.updatedAt).getTime()).toBeGreaterThan(before.updatedAt.getTime());
  });
});

describe("searchOffers validation", () => {
  const search = (variables: Record<string, unknown>) =>
    offers.request(
      `query Search($query: String!, $filter: OfferSearchFilter, $sort: OfferSearchSort, $first: Int, $after: String) {
        searchOffers(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) { totalCount edges { node { id } } }
      }`,
      variables,
    );
  const cases: [string, Record<string, unknown>, string][] = [
    ["a query over 200 characters", { query: "q".repeat(201) }, "query"],
    ["an unknown category", { query: "bike", filter: { category: "spaceships" } }, "filter.category"],
    ["a malformed sellerId", { query: "bike", filter: { sellerId: "x" } }, "filter.sellerId"],
    ["a malformed priceMin", { query: "bike", filter: { priceMin: "cheap" } }, "filter.priceMin"],
    ["priceMin above priceMax", { query: "bike", filter: { priceMin: "100", priceMax: "99.99" } }, "filter.priceMin"],
    ["radiusKm 0", { query: "bike", filter: { near: { lat: 0, lng: 0, radiusKm: 0 } } }, "filter.near.radiusKm"],
    ["a negative radiusKm", { query: "bike", filter: { near: { lat: 0, lng: 0, radiusKm: -3 } } }, "filter.near.radiusKm"],
    ["radiusKm above 20000", { query: "bike", filter: { near: { lat: 0, lng: 0, radiusKm: 20000.5 } } }, "filter.near.radiusKm"],
    ["near.lat out of range", { query: "bike", filter: { near: { lat: 95, lng: 0, radiusKm: 5 } } }, "filter.near.lat"],
    ["near.lng out of range", { query: "bike", filter: { near: { lat: 0, lng: -200, radiusKm: 5 } } }, "filter.near.lng"],
    ["DISTANCE without near", { query: "bike", sort: "DISTANCE" }, "sort"],
    ["first above 100", { query: "bike", first: 101 }, "first"],
    ["a foreign cursor", { query: "bike", after: "bogus" }, "after"],
    ["an offset cursor of the old API", { query: "bike", after: Buffer.from('["s",9999]').toString("base64url") }, "after"],
  ];
  it.each(cases)("rejects %s", async (_name, variables, field) => {
    const result = await search(variables);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(fields(result)).toEqual([field]);
  });

  it("answers an empty or blank query with the filtered offers instead of an error", async () => {
    for (const query of ["", "   "]) {
      const result = await search({ query, filter: { category: "sports" } });
      expect(result.errors).toBeUndefined();
    }
  });

  it("accepts radiusKm 20000 and a 200-character query", async () => {
    const result = await search({ query: "q".repeat(200), filter: { near: { lat: 0, lng: 0, radiusKm: 20000 } } });
    expect(result.errors).toBeUndefined();
  });
});

import { Redis } from "ioredis";
import { analyticsStreamKey, parseStreamEvent, recordEvent } from "@agora/platform/analytics";
import { testKeyPrefix, testRedisUrl } from "@agora/platform/testing";
import { offerQuery, startOffers, user, type OffersHarness } from "./harness.js";

let offers: OffersHarness;
let redis: Redis;
const prefix = testKeyPrefix("offers-analytics");
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  offers = await startOffers("analytics", { analytics: (event) => recordEvent(redis, prefix, event) });
});
afterAll(async () => {
  await offers.stop();
  redis.disconnect();
});

async function events() {
  const entries = await redis.xrange(analyticsStreamKey(prefix), "-", "+");
  return entries.map(([, fields]) => parseStreamEvent(fields));
}

describe("analytics events", () => {
  it("records a view for offer(id) and one search event per result, in the Redis stream the worker drains", async () => {
    const seller = user();
    const viewer = user();
    const bike = await offers.createOffer(seller, { title: "Blue gravel bike", description: "Carbon fork" });
    await offers.createOffer(seller, { title: "Red gravel bike", description: "Steel frame" });
    await redis.del(analyticsStreamKey(prefix));

    const viewed = await offers.request(offerQuery, { id: bike.id }, viewer);
    expect(viewed.data?.offer.id).toBe(bike.id);
    const searched = await offers.request(`{ searchOffers(query: "gravel", first: 10) { edges { node { id } } } }`);
    expect(searched.data?.searchOffers.edges).toHaveLength(2);

    const recorded = await events();
    expect(recorded.filter((e) => e?.type === "OFFER_VIEW")).toEqual([
      expect.objectContaining({ offerId: bike.id, userId: viewer.userId }),
    ]);
    const searches = recorded.filter((e) => e?.type === "SEARCH");
    expect(searches).toHaveLength(2);
    expect(searches.every((e) => e?.query === "gravel")).toBe(true);
  });

  it("does not count entity resolution by other subgraphs, or a missing offer, as a view", async () => {
    const offer = await offers.createOffer(user());
    await redis.del(analyticsStreamKey(prefix));
    await offers.request(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Offer { id } } }`, {
      r: [{ __typename: "Offer", id: offer.id }],
    });
    await offers.request(offerQuery, { id: "00000000-0000-4000-8000-000000000000" });
    expect(await events()).toEqual([]);
  });
});

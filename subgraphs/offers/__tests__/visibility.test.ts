import { archiveOfferMutation, codes, offerQuery, startOffers, user, type OfferResult, type OffersHarness } from "./harness.js";

let offers: OffersHarness;
const seller = user();
const stranger = user();
const admin = user("ADMIN");
let draft: OfferResult;
let active: OfferResult;
let archived: OfferResult;

beforeAll(async () => {
  offers = await startOffers("visibility");
  draft = await offers.createOffer(seller, { title: "Draft desk" }, { publish: false });
  active = await offers.createOffer(seller, { title: "Active desk" });
  archived = await offers.createOffer(seller, { title: "Archived desk" });
  await offers.request(archiveOfferMutation, { id: archived.id }, seller);
});
afterAll(async () => {
  await offers.stop();
});

const listIds = async (filter: Record<string, unknown> | undefined, as?: typeof seller) => {
  const result = await offers.request(
    `query List($filter: OffersFilter) { offers(filter: $filter) { totalCount edges { node { id status } } } }`,
    { filter },
    as,
  );
  return result;
};

describe("offer(id)", () => {
  it("shows drafts and archived offers to their seller and to admins only", async () => {
    for (const hidden of [draft, archived]) {
      expect((await offers.request(offerQuery, { id: hidden.id })).data!.offer).toBeNull();
      expect((await offers.request(offerQuery, { id: hidden.id }, stranger)).data!.offer).toBeNull();
      expect((await offers.request(offerQuery, { id: hidden.id }, seller)).data!.offer.id).toBe(hidden.id);
      expect((await offers.request(offerQuery, { id: hidden.id }, admin)).data!.offer.id).toBe(hidden.id);
    }
    expect((await offers.request(offerQuery, { id: active.id }, stranger)).data!.offer.id).toBe(active.id);
  });
});

describe("offers(filter)", () => {
  it("lists ACTIVE offers only by default, for everyone including the seller", async () => {
    for (const as of [undefined, stranger, seller, admin]) {
      const result = await listIds(undefined, as);
      expect(result.errors).toBeUndefined();
      expect(result.data!.offers.edges.map((e: any) => e.node.id)).toEqual([active.id]);
      expect(result.data!.offers.totalCount).toBe(1);
    }
  });

  it("lists your own drafts with filter.sellerId = you", async () => {
    const result = await listIds({ sellerId: seller.userId, status: "DRAFT" }, seller);
    expect(result.data!.offers.edges.map((e: any) => e.node.id)).toEqual([draft.id]);
  });

  it("lets admins list any status", async () => {
    const result = await listIds({ status: "ARCHIVED" }, admin);
    expect(result.data!.offers.edges.map((e: any) => e.node.id)).toEqual([archived.id]);
  });

  it("refuses other statuses to others: FORBIDDEN signed in, UNAUTHENTICATED anonymous", async () => {
    expect(codes(await listIds({ sellerId: seller.userId, status: "DRAFT" }, stranger))).toEqual(["FORBIDDEN"]);
    expect(codes(await listIds({ status: "DRAFT" }, seller))).toEqual(["FORBIDDEN"]);
    expect(codes(await listIds({ status: "ARCHIVED" }))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("User.offers", () => {
  const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id offers { totalCount edges { node { id status } } } } } }`;
  const sellerOffers = async (as?: typeof seller) => {
    const result = await offers.request(query, { reps: [{ __typename: "User", id: seller.userId }] }, as);
    expect(result.errors).toBeUndefined();
    return result.data!._entities[0].offers;
  };

  it("shows a seller's ACTIVE offers to others and all of them to the seller and admins", async () => {
    expect((await sellerOffers()).edges.map((e: any) => e.node.id)).toEqual([active.id]);
    expect((await sellerOffers(stranger)).totalCount).toBe(1);
    for (const privileged of [seller, admin]) {
      const all = await sellerOffers(privileged);
      expect(all.edges.map((e: any) => e.node.id)).toEqual([archived.id, active.id, draft.id]);
      expect(all.totalCount).toBe(3);
    }
  });
});

describe("_entities(Offer)", () => {
  it("resolves drafts only for their seller and admins", async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Offer { id title } } }`;
    const reps = [draft, active].map((o) => ({ __typename: "Offer", id: o.id }));
    const anonymous = await offers.request(query, { reps });
    expect(anonymous.data!._entities).toEqual([null, { id: active.id, title: "Active desk" }]);
    const own = await offers.request(query, { reps }, seller);
    expect(own.data!._entities.map((o: any) => o?.id)).toEqual([draft.id, active.id]);
  });
});

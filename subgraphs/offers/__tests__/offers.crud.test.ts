import { randomUUID } from "node:crypto";
import {
  archiveOfferMutation,
  codes,
  createOfferMutation,
  offerQuery,
  publishOfferMutation,
  startOffers,
  updateOfferMutation,
  user,
  validInput,
  type OffersHarness,
} from "./harness.js";

let offers: OffersHarness;
beforeAll(async () => {
  offers = await startOffers("crud");
});
afterAll(async () => {
  await offers.stop();
});

const seller = user();
const stranger = user();
const admin = user("ADMIN");
const moderator = user("MODERATOR");

describe("createOffer", () => {
  it("creates a DRAFT sold by the caller, with normalised price and trimmed text", async () => {
    const result = await offers.request(
      createOfferMutation,
      { input: validInput({ title: "  Vintage lamp  ", price: { amount: "129.9", currency: "EUR" }, tags: ["lamp", " retro ", "lamp"] }) },
      seller,
    );
    expect(result.errors).toBeUndefined();
    const offer = result.data!.createOffer;
    expect(offer).toMatchObject({
      title: "Vintage lamp",
      price: { amount: "129.90", currency: "EUR" },
      category: "sports",
      tags: ["lamp", "retro"],
      location: { lat: 52.52, lng: 13.405 },
      status: "DRAFT",
      seller: { id: seller.userId },
    });
    expect(new Date(offer.createdAt).getTime()).not.toBeNaN();
    const row = await offers.db.primary.offer.findUniqueOrThrow({ where: { id: offer.id } });
    expect(row.sellerId).toBe(seller.userId);
    expect(row.priceAmount.toFixed(2)).toBe("129.90");
  });

  it("requires a signed-in caller", async () => {
    const before = await offers.db.primary.offer.count();
    const result = await offers.request(createOfferMutation, { input: validInput() });
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    expect(result.data).toBeNull();
    expect(await offers.db.primary.offer.count()).toBe(before);
  });

  it("rejects a forged identity header as UNAUTHENTICATED", async () => {
    const response = await fetch(`${offers.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-agora-identity": "not-a-jwt" },
      body: JSON.stringify({ query: "{ offers { totalCount } }" }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe("UNAUTHENTICATED");
  });
});

describe("updateOffer", () => {
  it("lets the seller change some fields and keeps the others", async () => {
    const created = await offers.createOffer(seller, {}, { publish: false });
    const result = await offers.request(
      updateOfferMutation,
      { id: created.id, input: { title: "Road bike, barely used", price: { amount: "399", currency: "CHF" } } },
      seller,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateOffer).toMatchObject({
      id: created.id,
      title: "Road bike, barely used",
      description: validInput().description,
      price: { amount: "399.00", currency: "CHF" },
      status: "DRAFT",
    });
    expect(new Date(result.data!.updateOffer.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.createdAt).getTime());
  });

  it("is FORBIDDEN for another user, even a moderator, and changes nothing", async () => {
    const created = await offers.createOffer(seller);
    for (const other of [stranger, moderator]) {
      const result = await offers.request(updateOfferMutation, { id: created.id, input: { title: "Mine now" } }, other);
      expect(codes(result)).toEqual(["FORBIDDEN"]);
    }
    const row = await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.title).toBe(validInput().title);
  });

  it("is allowed for an admin", async () => {
    const created = await offers.createOffer(seller);
    const result = await offers.request(updateOfferMutation, { id: created.id, input: { category: "vehicles" } }, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateOffer).toMatchObject({ category: "vehicles", seller: { id: seller.userId } });
  });

  it("is UNAUTHENTICATED when anonymous", async () => {
    const created = await offers.createOffer(seller);
    const result = await offers.request(updateOfferMutation, { id: created.id, input: { title: "Anonymous edit" } });
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("answers NOT_FOUND for an unknown id and BAD_USER_INPUT for a malformed one", async () => {
    const missing = await offers.request(updateOfferMutation, { id: randomUUID(), input: { title: "Nothing" } }, seller);
    expect(codes(missing)).toEqual(["NOT_FOUND"]);
    const malformed = await offers.request(updateOfferMutation, { id: "42", input: { title: "Nothing" } }, seller);
    expect(codes(malformed)).toEqual(["BAD_USER_INPUT"]);
    expect(malformed.errors![0]!.extensions).toMatchObject({ field: "id" });
  });

  it("returns the offer unchanged for an empty input", async () => {
    const created = await offers.createOffer(seller);
    const result = await offers.request(updateOfferMutation, { id: created.id, input: {} }, seller);
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateOffer).toMatchObject({ id: created.id, title: created.title, status: "ACTIVE" });
  });

  it("refuses to edit an archived offer with CONFLICT", async () => {
    const created = await offers.createOffer(seller);
    await offers.request(archiveOfferMutation, { id: created.id }, seller);
    const result = await offers.request(updateOfferMutation, { id: created.id, input: { title: "Back from the dead" } }, seller);
    expect(codes(result)).toEqual(["CONFLICT"]);
  });
});

describe("publishOffer and archiveOffer", () => {
  it("moves DRAFT -> ACTIVE -> ARCHIVED", async () => {
    const created = await offers.createOffer(seller, {}, { publish: false });
    const published = await offers.request(publishOfferMutation, { id: created.id }, seller);
    expect(published.errors).toBeUndefined();
    expect(published.data!.publishOffer.status).toBe("ACTIVE");
    const archived = await offers.request(archiveOfferMutation, { id: created.id }, seller);
    expect(archived.errors).toBeUndefined();
    expect(archived.data!.archiveOffer.status).toBe("ARCHIVED");
    expect((await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } })).status).toBe("ARCHIVED");
  });

  it("archives a draft directly", async () => {
    const created = await offers.createOffer(seller, {}, { publish: false });
    const archived = await offers.request(archiveOfferMutation, { id: created.id }, seller);
    expect(archived.data!.archiveOffer.status).toBe("ARCHIVED");
  });

  it("answers CONFLICT for transitions that do not exist", async () => {
    const active = await offers.createOffer(seller);
    expect(codes(await offers.request(publishOfferMutation, { id: active.id }, seller))).toEqual(["CONFLICT"]);
    await offers.request(archiveOfferMutation, { id: active.id }, seller);
    expect(codes(await offers.request(archiveOfferMutation, { id: active.id }, seller))).toEqual(["CONFLICT"]);
    expect(codes(await offers.request(publishOfferMutation, { id: active.id }, seller))).toEqual(["CONFLICT"]);
    expect((await offers.db.primary.offer.findUniqueOrThrow({ where: { id: active.id } })).status).toBe("ARCHIVED");
  });

  it("a second transition in the same request sees the first one", async () => {
    const created = await offers.createOffer(seller, {}, { publish: false });
    const result = await offers.request(
      `mutation Twice($id: ID!) { a: publishOffer(id: $id) { status } b: publishOffer(id: $id) { status } }`,
      { id: created.id },
      seller,
    );
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(["CONFLICT"]);
    expect((await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } })).status).toBe("ACTIVE");
  });

  it("are FORBIDDEN for other users, allowed for admins, UNAUTHENTICATED when anonymous, NOT_FOUND when missing", async () => {
    const created = await offers.createOffer(seller, {}, { publish: false });
    expect(codes(await offers.request(publishOfferMutation, { id: created.id }, stranger))).toEqual(["FORBIDDEN"]);
    expect(codes(await offers.request(archiveOfferMutation, { id: created.id }, stranger))).toEqual(["FORBIDDEN"]);
    expect(codes(await offers.request(publishOfferMutation, { id: created.id }))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await offers.request(archiveOfferMutation, { id: randomUUID() }, admin))).toEqual(["NOT_FOUND"]);
    expect((await offers.db.primary.offer.findUniqueOrThrow({ where: { id: created.id } })).status).toBe("DRAFT");
    const byAdmin = await offers.request(publishOfferMutation, { id: created.id }, admin);
    expect(byAdmin.data!.publishOffer.status).toBe("ACTIVE");
    const archivedByAdmin = await offers.request(archiveOfferMutation, { id: created.id }, admin);
    expect(archivedByAdmin.data!.archiveOffer.status).toBe("ARCHIVED");
  });
});

describe("offer(id)", () => {
  it("returns an active offer to anyone and null for an unknown id", async () => {
    const created = await offers.createOffer(seller);
    const found = await offers.request(offerQuery, { id: created.id });
    expect(found.data!.offer).toMatchObject({ id: created.id, status: "ACTIVE", price: { amount: "450.00", currency: "EUR" } });
    const missing = await offers.request(offerQuery, { id: randomUUID() });
    expect(missing.errors).toBeUndefined();
    expect(missing.data!.offer).toBeNull();
  });

  it("accepts an upper-case UUID and rejects a malformed id", async () => {
    const created = await offers.createOffer(seller);
    const upper = await offers.request(offerQuery, { id: created.id.toUpperCase() });
    expect(upper.data!.offer.id).toBe(created.id);
    const malformed = await offers.request(offerQuery, { id: "offer-1" });
    expect(codes(malformed)).toEqual(["BAD_USER_INPUT"]);
  });
});

import { randomUUID } from "node:crypto";
import { signIdentity } from "@agora/platform";
import {
  admin,
  codes,
  createMutation,
  createReviewAs,
  deleteMutation,
  moderateMutation,
  moderator,
  startReviews,
  updateMutation,
  user,
  type ReviewsHarness,
} from "./harness.js";

let h: ReviewsHarness;
beforeAll(async () => {
  h = await startReviews("mutations");
});
afterAll(async () => {
  await h.stop();
});

const reviewCount = () => h.db.primary.review.count();
const create = (input: Record<string, unknown>, as: Parameters<ReviewsHarness["request"]>[2]) => h.request(createMutation, { input }, as);

describe("createReview", () => {
  it("creates a PENDING review with author and offer stubs, forwarding the caller's identity to offers", async () => {
    const alice = user();
    const offerId = h.offers.add();
    const before = h.offers.identities.length;
    const response = await create({ offerId, rating: 4, body: "  Great bike, as described.  " }, alice);
    expect(response.errors).toBeUndefined();
    expect(response.data!.createReview).toMatchObject({
      rating: 4,
      body: "Great bike, as described.",
      moderationStatus: "PENDING",
      sentiment: null,
      author: { id: alice.userId },
      offer: { id: offerId },
    });
    const forwarded = h.offers.identities.slice(before);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]).toEqual(expect.any(String));

    const read = await h.request("query($id: ID!) { review(id: $id) { id rating } }", { id: response.data!.createReview.id });
    expect(read.data!.review).toEqual({ id: response.data!.createReview.id, rating: 4 });
  });

  it("requires a signed-in caller", async () => {
    const response = await create({ offerId: h.offers.add(), rating: 5, body: "anonymous" }, null);
    expect(codes(response)).toEqual(["UNAUTHENTICATED"]);
  });

  it("rejects a forged identity header", async () => {
    const forged = await signIdentity(user(), "some-other-secret-that-is-32-chars-long!!");
    const response = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-agora-identity": forged },
      body: JSON.stringify({ query: createMutation, variables: { input: { offerId: h.offers.add(), rating: 5, body: "x" } } }),
    });
    expect(response.status).toBe(401);
  });

  it("allows one review per author and offer: the second is a CONFLICT", async () => {
    const bob = user();
    const offerId = h.offers.add();
    await createReviewAs(h, bob, offerId, 3);
    const count = await reviewCount();
    const again = await create({ offerId, rating: 5, body: "changed my mind" }, bob);
    expect(codes(again)).toEqual(["CONFLICT"]);
    expect(await reviewCount()).toBe(count);
    // Someone else may still review it.
    await createReviewAs(h, user(), offerId, 5);
  });

  it("turns racing duplicates into one review and CONFLICTs, never a 500", async () => {
    const carol = user();
    const offerId = h.offers.add();
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => create({ offerId, rating: 1 + i, body: `try ${i}` }, carol)));
    const created = responses.filter((r) => !r.errors);
    expect(created).toHaveLength(1);
    expect(responses.flatMap(codes).sort()).toEqual(["CONFLICT", "CONFLICT", "CONFLICT", "CONFLICT"]);
    const rating = await h.db.primary.offerRating.findUniqueOrThrow({ where: { offerId } });
    expect(rating.count).toBe(1);
    expect(rating.sum).toBe(created[0]!.data!.createReview.rating);
  });

  it.each([
    ["rating 0", { rating: 0 }, "rating"],
    ["rating 6", { rating: 6 }, "rating"],
    ["an empty body", { body: "   " }, "body"],
    ["a body over 2000 characters", { body: "x".repeat(2001) }, "body"],
    ["an offerId that is not a uuid", { offerId: "offer-1" }, "offerId"],
  ])("refuses %s with BAD_USER_INPUT and writes nothing", async (_label, override, field) => {
    const count = await reviewCount();
    const response = await create({ offerId: h.offers.add(), rating: 3, body: "fine", ...override }, user());
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await reviewCount()).toBe(count);
  });

  it("refuses a non-integer rating at the GraphQL layer", async () => {
    const response = await create({ offerId: h.offers.add(), rating: 4.5, body: "fine" }, user());
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
  });

  it("accepts a body of exactly 2000 characters after trimming", async () => {
    const response = await create({ offerId: h.offers.add(), rating: 2, body: ` ${"y".repeat(2000)} ` }, user());
    expect(response.errors).toBeUndefined();
    expect(response.data!.createReview.body).toHaveLength(2000);
  });

  it("answers NOT_FOUND for an offer the offers subgraph does not know", async () => {
    const offerId = randomUUID();
    const count = await reviewCount();
    const response = await create({ offerId, rating: 3, body: "where is it?" }, user());
    expect(codes(response)).toEqual(["NOT_FOUND"]);
    expect(response.errors![0]!.message).toBe(`offer ${offerId} was not found.`);
    expect(await reviewCount()).toBe(count);
  });

  it.each(["DRAFT", "ARCHIVED"] as const)("refuses to review an offer that is %s (BAD_USER_INPUT)", async (status) => {
    const response = await create({ offerId: h.offers.add({ status }), rating: 3, body: "not yet" }, user());
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(response.errors![0]!.message).toContain(status);
  });

  it("forbids reviewing your own offer", async () => {
    const seller = user();
    const count = await reviewCount();
    const response = await create({ offerId: h.offers.add({ sellerId: seller.userId }), rating: 5, body: "mine is great" }, seller);
    expect(codes(response)).toEqual(["FORBIDDEN"]);
    expect(await reviewCount()).toBe(count);
  });
});

describe("updateReview", () => {
  it("lets the author change rating and body", async () => {
    const dave = user();
    const review = await createReviewAs(h, dave, h.offers.add(), 2);
    const response = await h.request(updateMutation, { id: review.id, input: { rating: 5, body: " Better than I thought " } }, dave);
    expect(response.errors).toBeUndefined();
    expect(response.data!.updateReview).toMatchObject({ id: review.id, rating: 5, body: "Better than I thought" });
    expect(new Date(response.data!.updateReview.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(review.createdAt).getTime());
  });

  it("changes only the given field", async () => {
    const erin = user();
    const review = await createReviewAs(h, erin, h.offers.add(), 4, "Original body");
    const response = await h.request(updateMutation, { id: review.id, input: { rating: 1 } }, erin);
    expect(response.data!.updateReview).toMatchObject({ rating: 1, body: "Original body" });
  });

  it("sends an edited APPROVED review back to PENDING and clears its sentiment", async () => {
    const fay = user();
    const review = await createReviewAs(h, fay, h.offers.add(), 4);
    await h.db.primary.review.update({ where: { id: review.id }, data: { moderationStatus: "APPROVED", sentiment: 0.8 } });
    const response = await h.request(updateMutation, { id: review.id, input: { body: "new words" } }, fay);
    expect(response.data!.updateReview).toMatchObject({ moderationStatus: "PENDING", sentiment: null });
  });

  it("forbids anyone but the author, including moderators and admins", async () => {
    const review = await createReviewAs(h, user(), h.offers.add(), 3, "untouched");
    for (const someone of [user(), moderator(), admin()]) {
      const response = await h.request(updateMutation, { id: review.id, input: { rating: 1 } }, someone);
      expect(codes(response)).toEqual(["FORBIDDEN"]);
    }
    const anonymous = await h.request(updateMutation, { id: review.id, input: { rating: 1 } }, null);
    expect(codes(anonymous)).toEqual(["UNAUTHENTICATED"]);
    const row = await h.db.primary.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(row).toMatchObject({ rating: 3, body: "untouched" });
  });

  it("validates input and changes nothing", async () => {
    const gus = user();
    const review = await createReviewAs(h, gus, h.offers.add(), 3, "keep me");
    for (const input of [{ rating: 9 }, { body: "" }, { body: "z".repeat(2001) }, {}, { rating: 4, body: " " }]) {
      const response = await h.request(updateMutation, { id: review.id, input }, gus);
      expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    }
    const bad = await h.request(updateMutation, { id: "not-a-uuid", input: { rating: 4 } }, gus);
    expect(codes(bad)).toEqual(["BAD_USER_INPUT"]);
    const row = await h.db.primary.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(row).toMatchObject({ rating: 3, body: "keep me" });
  });

  it("answers NOT_FOUND for a missing review", async () => {
    const response = await h.request(updateMutation, { id: randomUUID(), input: { rating: 4 } }, user());
    expect(codes(response)).toEqual(["NOT_FOUND"]);
  });
});

describe("deleteReview", () => {
  it("lets the author delete their review", async () => {
    const hal = user();
    const review = await createReviewAs(h, hal, h.offers.add(), 3);
    const response = await h.request(deleteMutation, { id: review.id }, hal);
    expect(response.data).toEqual({ deleteReview: true });
    expect(await h.db.primary.review.findUnique({ where: { id: review.id } })).toBeNull();
  });

  it("lets an admin delete any review, but not a moderator or another user", async () => {
    const review = await createReviewAs(h, user(), h.offers.add(), 3);
    for (const someone of [user(), moderator()]) {
      expect(codes(await h.request(deleteMutation, { id: review.id }, someone))).toEqual(["FORBIDDEN"]);
    }
    expect(codes(await h.request(deleteMutation, { id: review.id }, null))).toEqual(["UNAUTHENTICATED"]);
    expect(await h.db.primary.review.findUnique({ where: { id: review.id } })).not.toBeNull();
    expect((await h.request(deleteMutation, { id: review.id }, admin())).data).toEqual({ deleteReview: true });
  });

  it("answers NOT_FOUND for a missing review and BAD_USER_INPUT for a bad id", async () => {
    expect(codes(await h.request(deleteMutation, { id: randomUUID() }, admin()))).toEqual(["NOT_FOUND"]);
    expect(codes(await h.request(deleteMutation, { id: "42" }, admin()))).toEqual(["BAD_USER_INPUT"]);
  });

  it("frees the author to review the offer again", async () => {
    const ida = user();
    const offerId = h.offers.add();
    const review = await createReviewAs(h, ida, offerId, 2);
    await h.request(deleteMutation, { id: review.id }, ida);
    await createReviewAs(h, ida, offerId, 4);
  });
});

describe("moderateReview", () => {
  it("lets moderators and admins set the status", async () => {
    const review = await createReviewAs(h, user(), h.offers.add(), 5);
    const approved = await h.request(moderateMutation, { id: review.id, status: "APPROVED" }, moderator());
    expect(approved.data!.moderateReview).toMatchObject({ id: review.id, moderationStatus: "APPROVED" });
    const rejected = await h.request(moderateMutation, { id: review.id, status: "REJECTED" }, admin());
    expect(rejected.data!.moderateReview).toMatchObject({ id: review.id, moderationStatus: "REJECTED" });
  });

  it("forbids users, including the author", async () => {
    const author = user();
    const review = await createReviewAs(h, author, h.offers.add(), 5);
    for (const someone of [author, user()]) {
      expect(codes(await h.request(moderateMutation, { id: review.id, status: "APPROVED" }, someone))).toEqual(["FORBIDDEN"]);
    }
    expect(codes(await h.request(moderateMutation, { id: review.id, status: "APPROVED" }, null))).toEqual(["UNAUTHENTICATED"]);
    expect((await h.db.primary.review.findUniqueOrThrow({ where: { id: review.id } })).moderationStatus).toBe("PENDING");
  });

  it("answers NOT_FOUND for a missing review", async () => {
    expect(codes(await h.request(moderateMutation, { id: randomUUID(), status: "APPROVED" }, moderator()))).toEqual(["NOT_FOUND"]);
  });

  it("hides a REJECTED review from everyone but its author and moderators", async () => {
    const author = user();
    const review = await createReviewAs(h, author, h.offers.add(), 1);
    await h.request(moderateMutation, { id: review.id, status: "REJECTED" }, moderator());
    const query = "query($id: ID!) { review(id: $id) { id moderationStatus } }";
    expect((await h.request(query, { id: review.id }, user())).data!.review).toBeNull();
    expect((await h.request(query, { id: review.id }, null)).data!.review).toBeNull();
    expect((await h.request(query, { id: review.id }, author)).data!.review).toEqual({ id: review.id, moderationStatus: "REJECTED" });
    expect((await h.request(query, { id: review.id }, moderator())).data!.review).toEqual({ id: review.id, moderationStatus: "REJECTED" });
  });
});

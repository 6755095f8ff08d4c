import { randomUUID } from "node:crypto";
import { setModerationResult } from "@agora/reviews/moderation";
import { recomputeOfferRating } from "../src/data/rating.js";
import {
  codes,
  createMutation,
  createReviewAs,
  deleteMutation,
  moderateMutation,
  moderator,
  offerRating,
  startReviews,
  updateMutation,
  user,
  type ReviewsHarness,
} from "./harness.js";

let h: ReviewsHarness;
beforeAll(async () => {
  // A small pool, so the bursts below queue for connections as they would under load.
  h = await startReviews("rating", { poolSize: 5 });
});
afterAll(async () => {
  await h.stop();
});

const distribution = (...counts: number[]) => counts.map((count, i) => ({ stars: i + 1, count }));

/** The stored running aggregate must equal a recount of the reviews table. */
async function expectAggregateMatchesTable(offerId: string) {
  const stored = await h.db.primary.offerRating.findUnique({ where: { offerId } });
  const recomputed = await recomputeOfferRating(h.db.primary, offerId);
  const {
    offerId: _id,
    updatedAt: _at,
    ...aggregate
  } = stored ?? { offerId, updatedAt: null, count: 0, sum: 0, stars1: 0, stars2: 0, stars3: 0, stars4: 0, stars5: 0 };
  expect(aggregate).toEqual(recomputed);
  return recomputed;
}

describe("Offer.rating", () => {
  it("is empty for an offer without reviews: average null, five zero buckets", async () => {
    expect(await offerRating(h, randomUUID())).toEqual({ average: null, count: 0, distribution: distribution(0, 0, 0, 0, 0) });
  });

  it("follows every write: create, rating change, rejection, reinstatement, deletion", async () => {
    const offerId = h.offers.add();
    const [a, b, c] = [user(), user(), user()];
    const ra = await createReviewAs(h, a, offerId, 5);
    await createReviewAs(h, b, offerId, 4);
    const rc = await createReviewAs(h, c, offerId, 4);
    // 13 / 3 = 4.333…: rounded to two decimals.
    expect(await offerRating(h, offerId)).toEqual({ average: 4.33, count: 3, distribution: distribution(0, 0, 0, 2, 1) });

    await h.request(updateMutation, { id: rc.id, input: { rating: 1 } }, c);
    expect(await offerRating(h, offerId)).toEqual({ average: 3.33, count: 3, distribution: distribution(1, 0, 0, 1, 1) });

    // A body-only edit leaves the aggregate alone.
    await h.request(updateMutation, { id: rc.id, input: { body: "reworded" } }, c);
    expect((await offerRating(h, offerId)).count).toBe(3);

    await h.request(moderateMutation, { id: ra.id, status: "REJECTED" }, moderator());
    expect(await offerRating(h, offerId)).toEqual({ average: 2.5, count: 2, distribution: distribution(1, 0, 0, 1, 0) });

    // Editing a rejected review's rating does not sneak it back into the rating.
    await h.request(updateMutation, { id: ra.id, input: { rating: 2 } }, a);
    expect(await offerRating(h, offerId)).toEqual({ average: 2.5, count: 2, distribution: distribution(1, 0, 0, 1, 0) });

    await h.request(moderateMutation, { id: ra.id, status: "APPROVED" }, moderator());
    expect(await offerRating(h, offerId)).toEqual({ average: 2.33, count: 3, distribution: distribution(1, 1, 0, 1, 0) });

    await h.request(deleteMutation, { id: rc.id }, c);
    expect(await offerRating(h, offerId)).toEqual({ average: 3, count: 2, distribution: distribution(0, 1, 0, 1, 0) });

    // Deleting a rejected review does not count it out twice.
    await h.request(moderateMutation, { id: ra.id, status: "REJECTED" }, moderator());
    await h.request(deleteMutation, { id: ra.id }, a);
    expect(await offerRating(h, offerId)).toEqual({ average: 4, count: 1, distribution: distribution(0, 0, 0, 1, 0) });
    await expectAggregateMatchesTable(offerId);
  });

  it("is unchanged by refused writes", async () => {
    const offerId = h.offers.add();
    const author = user();
    const review = await createReviewAs(h, author, offerId, 3);
    const before = await offerRating(h, offerId);
    expect(codes(await h.request(createMutation, { input: { offerId, rating: 5, body: "again" } }, author))).toEqual(["CONFLICT"]);
    expect(codes(await h.request(updateMutation, { id: review.id, input: { rating: 5 } }, user()))).toEqual(["FORBIDDEN"]);
    expect(codes(await h.request(deleteMutation, { id: review.id }, user()))).toEqual(["FORBIDDEN"]);
    expect(codes(await h.request(moderateMutation, { id: review.id, status: "REJECTED" }, author))).toEqual(["FORBIDDEN"]);
    expect(await offerRating(h, offerId)).toEqual(before);
  });

  it("stays exact under a burst of 20 parallel reviews by 20 authors on one offer", async () => {
    const offerId = h.offers.add();
    const ratings = Array.from({ length: 20 }, (_, i) => (i % 5) + 1);
    const responses = await Promise.all(
      ratings.map((rating) => h.request(createMutation, { input: { offerId, rating, body: `burst ${rating}` } }, user())),
    );
    expect(responses.flatMap(codes)).toEqual([]);
    const recomputed = await expectAggregateMatchesTable(offerId);
    expect(recomputed).toEqual({ count: 20, sum: 60, stars1: 4, stars2: 4, stars3: 4, stars4: 4, stars5: 4 });
    expect(await offerRating(h, offerId)).toEqual({ average: 3, count: 20, distribution: distribution(4, 4, 4, 4, 4) });
  });

  it("stays exact under a mixed burst of updates, rejections, deletions and new reviews", async () => {
    const offerId = h.offers.add();
    const authors = Array.from({ length: 12 }, () => user());
    const reviews = [];
    for (const [i, author] of authors.entries()) reviews.push(await createReviewAs(h, author, offerId, (i % 5) + 1));
    const mod = moderator();
    await Promise.all([
      ...reviews.slice(0, 4).map((r, i) => h.request(updateMutation, { id: r.id, input: { rating: 5 - (i % 5) } }, authors[i]!)),
      ...reviews.slice(0, 8).map((r) => h.request(moderateMutation, { id: r.id, status: "REJECTED" }, mod)),
      ...reviews.slice(4, 6).map((r) => h.request(moderateMutation, { id: r.id, status: "REJECTED" }, mod)),
      ...reviews.slice(6, 10).map((r, i) => h.request(deleteMutation, { id: r.id }, authors[6 + i]!)),
      ...reviews.slice(10).map((r, i) => h.request(updateMutation, { id: r.id, input: { rating: 1 } }, authors[10 + i]!)),
      ...Array.from({ length: 6 }, (_, i) => h.request(createMutation, { input: { offerId, rating: (i % 5) + 1, body: "late" } }, user())),
    ]);
    await expectAggregateMatchesTable(offerId);
  });
});

describe("setModerationResult (the moderation worker's entry point)", () => {
  it("sets status and sentiment and moves the aggregate once, however often it is applied", async () => {
    const offerId = h.offers.add();
    const review = await createReviewAs(h, user(), offerId, 5);
    await createReviewAs(h, user(), offerId, 3);

    const first = await setModerationResult(h.db.primary, review.id, { status: "REJECTED", sentiment: -0.75 });
    expect(first).toMatchObject({ id: review.id, moderationStatus: "REJECTED", sentiment: -0.75 });
    const second = await setModerationResult(h.db.primary, review.id, { status: "REJECTED", sentiment: -0.75 });
    expect(second).toMatchObject({ moderationStatus: "REJECTED", sentiment: -0.75 });
    expect(second!.updatedAt).toEqual(first!.updatedAt);
    expect(await offerRating(h, offerId)).toEqual({ average: 3, count: 1, distribution: distribution(0, 0, 1, 0, 0) });

    // A retried job racing the original: still counted back in exactly once.
    await Promise.all([0, 1, 2].map(() => setModerationResult(h.db.primary, review.id, { status: "APPROVED", sentiment: 0.5 })));
    expect(await offerRating(h, offerId)).toEqual({ average: 4, count: 2, distribution: distribution(0, 0, 1, 0, 1) });
    await expectAggregateMatchesTable(offerId);

    // PENDING and APPROVED both count: no aggregate change between them.
    await setModerationResult(h.db.primary, review.id, { status: "PENDING", sentiment: null });
    expect((await offerRating(h, offerId)).count).toBe(2);
    const row = await h.db.primary.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(row).toMatchObject({ moderationStatus: "PENDING", sentiment: null });
  });

  it("leaves sentiment alone when it is not given, and reports a deleted review as null", async () => {
    const author = user();
    const review = await createReviewAs(h, author, h.offers.add(), 2);
    await setModerationResult(h.db.primary, review.id, { status: "APPROVED", sentiment: 0.1 });
    expect(await setModerationResult(h.db.primary, review.id, { status: "REJECTED" })).toMatchObject({
      sentiment: 0.1,
      moderationStatus: "REJECTED",
    });
    await h.request(deleteMutation, { id: review.id }, author);
    expect(await setModerationResult(h.db.primary, review.id, { status: "APPROVED", sentiment: 0 })).toBeNull();
  });

  it("an automatic verdict never overrides a moderator, and is dropped for text that was edited since", async () => {
    const author = user();
    const offerId = h.offers.add();
    const review = await createReviewAs(h, author, offerId, 4, "Lovely chair");
    await h.request(moderateMutation, { id: review.id, status: "REJECTED" }, moderator());

    // The job judged the same text, but a moderator already decided: only the sentiment is kept.
    const kept = await setModerationResult(h.db.primary, review.id, { status: "APPROVED", sentiment: 0.6, judgedBody: "Lovely chair" });
    expect(kept).toMatchObject({ moderationStatus: "REJECTED", sentiment: 0.6 });
    expect((await offerRating(h, offerId)).count).toBe(0);

    // A verdict on older text changes nothing; the newer job will judge the new text.
    const other = await createReviewAs(h, user(), offerId, 2, "Meh");
    await h.db.primary.review.update({ where: { id: other.id }, data: { body: "Actually fine" } });
    const stale = await setModerationResult(h.db.primary, other.id, { status: "REJECTED", sentiment: -0.9, judgedBody: "Meh" });
    expect(stale).toMatchObject({ moderationStatus: "PENDING", sentiment: null });
    await expectAggregateMatchesTable(offerId);
  });

  it("refuses input a worker should never retry", async () => {
    await expect(setModerationResult(h.db.primary, "nope", { status: "APPROVED" })).rejects.toThrow(RangeError);
    await expect(setModerationResult(h.db.primary, randomUUID(), { status: "SPAM" as never })).rejects.toThrow(RangeError);
    await expect(setModerationResult(h.db.primary, randomUUID(), { status: "APPROVED", sentiment: Number.NaN })).rejects.toThrow(
      RangeError,
    );
  });
});

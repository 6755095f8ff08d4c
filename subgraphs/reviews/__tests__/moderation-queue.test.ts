import { createMutation, startReviews, updateMutation, user, type ReviewsHarness } from "./harness.js";

let h: ReviewsHarness;
beforeAll(async () => {
  h = await startReviews("modqueue");
});
afterAll(async () => h.stop());

const moderationJobs = (reviewId: string) =>
  h.db.primary.job.findMany({
    where: { type: "MODERATION", input: { path: ["reviewId"], equals: reviewId } },
    orderBy: { createdAt: "asc" },
  });

describe("moderation is queued with every new or edited review text", () => {
  it("queues one MODERATION job (outbox row, not yet enqueued) with the review, and another when the body changes", async () => {
    const author = user();
    const offerId = h.offers.add();
    const created = await h.request(createMutation, { input: { offerId, rating: 4, body: "Nice lamp" } }, author);
    expect(created.errors).toBeUndefined();
    const reviewId = created.data!.createReview.id;

    let jobs = await moderationJobs(reviewId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      status: "PENDING",
      enqueuedAt: null,
      requestedBy: author.userId,
      input: { reviewId, body: "Nice lamp" },
    });

    await h.request(updateMutation, { id: reviewId, input: { rating: 5 } }, author);
    expect(await moderationJobs(reviewId)).toHaveLength(1); // rating only: the text was already scored

    await h.request(updateMutation, { id: reviewId, input: { body: "Nice lamp, bright and warm" } }, author);
    jobs = await moderationJobs(reviewId);
    expect(jobs).toHaveLength(2);
    expect(jobs[1]!.input).toEqual({ reviewId, body: "Nice lamp, bright and warm" });
  });

  it("queues nothing when the review is refused", async () => {
    const author = user();
    const offerId = h.offers.add();
    const before = await h.db.primary.job.count();
    expect(
      (await h.request(createMutation, { input: { offerId, rating: 9, body: "Too good" } }, author)).errors?.[0]?.extensions?.code,
    ).toBe("BAD_USER_INPUT");
    await h.request(createMutation, { input: { offerId, rating: 4, body: "First" } }, author);
    await h.request(createMutation, { input: { offerId, rating: 4, body: "Second" } }, author); // CONFLICT
    expect(await h.db.primary.job.count()).toBe(before + 1);
  });
});

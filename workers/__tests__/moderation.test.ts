/** MODERATION jobs score and flag a review's body, then apply the verdict through the reviews package. */
import { jest } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { auditStreamKey, parseAuditStreamEntry } from "@agora/platform/audit-events";
import { checkReview, sentimentOf, spamFlags } from "../src/moderation/review-checks.js";
import { createHarness, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

describe("review checks", () => {
  it("scores sentiment between -1 and 1", () => {
    expect(sentimentOf("Great seller, fast shipping, love it!")).toBeGreaterThan(0);
    expect(sentimentOf("Terrible. Broken on arrival, awful support.")).toBeLessThan(0);
    expect(sentimentOf("It is a chair.")).toBe(0);
    for (const text of ["good good good", "bad bad bad", "superb", "catastrophic"]) {
      expect(Math.abs(sentimentOf(text))).toBeLessThanOrEqual(1);
    }
  });

  it("flags profanity and spam", () => {
    expect(checkReview("What a shit product").flags).toEqual(["profanity"]);
    expect(spamFlags("deals at http://a.example http://b.example www.c.example")).toEqual(["links"]);
    expect(spamFlags("one link http://a.example is fine")).toEqual([]);
    expect(spamFlags("sooooooooo good")).toEqual(["repeated-characters"]);
    expect(spamFlags("BEST OFFER EVER BUY NOW")).toEqual(["all-caps"]);
    expect(spamFlags("OK")).toEqual([]);
    expect(checkReview("Solid bike, brakes needed a small adjustment.")).toMatchObject({ status: "APPROVED", flags: [] });
  });
});

describe("moderation jobs", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("moderation");
    await h.startWorker({ WORKER_QUEUES: "moderation" });
  });
  afterAll(async () => {
    await h.close();
  });

  const review = (body: string, rating = 4) =>
    h.prisma.review.create({ data: { offerId: randomUUID(), authorId: randomUUID(), rating, body } });

  it("approves a clean review and rejects spam, recording sentiment", async () => {
    const clean = await review("Lovely lamp, works perfectly and arrived quickly.");
    const spam = await review("CHEAP WATCHES VISIT MY SHOP NOW", 5);
    const cleanJob = await h.submit({ type: "MODERATION", input: { reviewId: clean.id, body: clean.body } });
    const spamJob = await h.submit({ type: "MODERATION", input: { reviewId: spam.id, body: spam.body } });

    expect((await h.waitForStatus(cleanJob.id, "COMPLETED")).result).toMatchObject({ status: "APPROVED", flags: [], applied: true });
    expect((await h.waitForStatus(spamJob.id, "COMPLETED")).result).toMatchObject({
      status: "REJECTED",
      flags: ["all-caps"],
      applied: true,
    });
    const [cleanAfter, spamAfter] = await Promise.all([
      h.prisma.review.findUniqueOrThrow({ where: { id: clean.id } }),
      h.prisma.review.findUniqueOrThrow({ where: { id: spam.id } }),
    ]);
    expect(cleanAfter.moderationStatus).toBe("APPROVED");
    expect(cleanAfter.sentiment).toBeGreaterThan(0);
    // Each applied verdict is a moderation decision in the audit stream, by the platform (no actor).
    const audited = (await h.redis.xrange(auditStreamKey(h.prefix), "-", "+")).map(([, fields]) => parseAuditStreamEntry(fields));
    expect(audited.map((e) => [e?.action, e?.targetId, e?.actorId, e?.service, e?.details.status]).sort()).toEqual(
      [
        ["REVIEW_MODERATION", clean.id, null, "workers", "APPROVED"],
        ["REVIEW_MODERATION", spam.id, null, "workers", "REJECTED"],
      ].sort(),
    );
    expect(spamAfter.moderationStatus).toBe("REJECTED");
    expect(spamAfter.sentiment).toBe(0);
  });

  it("completes without effect for a deleted review and fails invalid input at once", async () => {
    const gone = await h.submit({ type: "MODERATION", input: { reviewId: randomUUID(), body: "fine" } });
    expect((await h.waitForStatus(gone.id, "COMPLETED")).result).toMatchObject({ applied: false });
    const invalid = await h.submit({ type: "MODERATION", input: { reviewId: "42" }, maxAttempts: 3 });
    expect(await h.waitForStatus(invalid.id, "FAILED")).toMatchObject({ attempts: 1, error: expect.stringMatching(/Invalid job input/) });
  });
});

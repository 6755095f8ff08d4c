import { createDatabase } from "@agora/platform/database";
import { createTestDatabase } from "@agora/platform/testing";
import { seedDatabase } from "../src/seed-data.js";

describe("demo seed", () => {
  it("is deterministic and keeps ratings consistent with the reviews", async () => {
    const seedInto = async () => {
      const db = createDatabase({ url: await createTestDatabase("seed") });
      const counts = await seedDatabase(db.primary, { users: 30, offers: 50, reviewsPerOffer: 3, passwordHash: "scrypt$x", seed: 11 });
      const offers = await db.primary.offer.findMany({
        orderBy: { id: "asc" },
        select: { id: true, title: true, priceAmount: true, sellerId: true },
      });
      const mismatched = await db.primary.$queryRawUnsafe<{ n: number }[]>(`
        SELECT count(*)::int AS n FROM reviews.offer_ratings r
        LEFT JOIN (SELECT offer_id, count(*) AS c, sum(rating) AS s FROM reviews.reviews GROUP BY offer_id) x ON x.offer_id = r.offer_id
        WHERE r.count <> x.c OR r.sum <> x.s`);
      await db.disconnect();
      return { counts, offers: offers.map((o) => ({ ...o, priceAmount: o.priceAmount.toString() })), mismatched: mismatched[0]!.n };
    };
    const first = await seedInto();
    const second = await seedInto();
    expect(first.counts).toEqual({ users: 30, offers: 50, reviews: 150 });
    expect(second.offers).toEqual(first.offers);
    expect(first.mismatched).toBe(0);
  });
});

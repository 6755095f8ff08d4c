import { createDatabase } from "../database.js";
import { createTestDatabase } from "../testing/index.js";

describe("database", () => {
  it("counts every SQL statement issued through the Prisma clients", async () => {
    const db = createDatabase({ url: await createTestDatabase("platform") });
    try {
      const before = db.statementCount();
      await db.primary.user.findMany({ take: 1 });
      await db.primary.offer.count();
      expect(db.statementCount() - before).toBe(2);
    } finally {
      await db.disconnect();
    }
  });
});

import pg from "pg";
import { createDatabase, queryRows } from "../database.js";
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

  it("counts plain prepared statements (queryRows) too", async () => {
    const db = createDatabase({ url: await createTestDatabase("platform") });
    try {
      const before = db.statementCount();
      const rows = await queryRows<{ n: number }>(db.primary, { name: "test.one", text: "SELECT $1::int AS n" }, [7]);
      expect(rows).toEqual([{ n: 7 }]);
      expect(db.statementCount() - before).toBe(1);
    } finally {
      await db.disconnect();
    }
  });

  it("survives Postgres ending its idle connections, and the next query opens a new one", async () => {
    const url = await createTestDatabase("platform");
    const db = createDatabase({ url, applicationName: "agora-terminated" });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Only plain statements: Prisma's adapter listens on the pool only once Prisma itself connects.
      const one = { name: "test.one", text: "SELECT 1::int AS n" };
      await queryRows(db.primary, one, []);
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'agora-terminated' AND datname = current_database()",
      );
      expect(rowCount).toBeGreaterThan(0);
      // The pool hears of it as an `error` on an idle connection; unheard, that ends the process.
      while (db.pools.primary.totalCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await queryRows(db.primary, one, [])).toEqual([{ n: 1 }]);
    } finally {
      await admin.end();
      await db.disconnect();
    }
  });
});

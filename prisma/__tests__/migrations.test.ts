import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { testServerUrl } from "@agora/platform/testing";

const root = fileURLToPath(new URL("../../", import.meta.url));
const migrate = (databaseUrl: string) =>
  execFileSync(process.execPath, ["--import", "tsx", "prisma/migrate.ts"], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });

describe("pnpm db:migrate", () => {
  const name = `agora_test_${process.env.AGORA_TEST_RUN_ID}_migrate`;
  const url = testServerUrl(name);
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: testServerUrl("postgres") });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it("creates the database, applies every migration once, and applies nothing the second time", async () => {
    const folders = (await readdir(join(root, "prisma/migrations"))).filter((f) => /^\d{14}_/.test(f));
    expect(migrate(url)).toContain(`Applied ${folders.length} migration(s)`);
    expect(migrate(url)).toContain("no migrations to apply");

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const applied = await client.query(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
    );
    const schemas = await client.query(
      "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('users','offers','reviews','jobs','audit') ORDER BY 1",
    );
    await client.end();
    expect(applied.rows.map((r) => r.migration_name)).toEqual(folders.sort());
    expect(schemas.rows.map((r) => r.schema_name)).toEqual(["audit", "jobs", "offers", "reviews", "users"]);
  });

  it("has a migration for every change in prisma/schema (the snapshot of the last migration equals the schema)", async () => {
    const dir = (d: string) => join(root, "prisma", d);
    const files = (await readdir(dir("schema"))).filter((f) => f.endsWith(".prisma")).sort();
    expect((await readdir(dir("migrations/schema-snapshot"))).sort()).toEqual(files);
    for (const file of files) {
      expect(await readFile(join(dir("migrations/schema-snapshot"), file), "utf8")).toBe(await readFile(join(dir("schema"), file), "utf8"));
    }
  });
});

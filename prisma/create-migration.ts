/** `pnpm db:migration:create <name>`: writes the next migration from the change in prisma/schema/. */
import { createMigration } from "./src/migrations.js";
import { databaseUrlFromEnv } from "./src/database-url.js";
import { ensureDatabase } from "./src/ensure-database.js";

const name = process.argv[2];
if (!name) {
  console.error("Usage: pnpm db:migration:create <snake_case_name>");
  process.exit(2);
}
const url = databaseUrlFromEnv();
await ensureDatabase(url);
const folder = await createMigration(url, name);
console.log(folder ? `Created ${folder}/migration.sql: review it, then run pnpm db:migrate` : "No schema changes: nothing to migrate.");

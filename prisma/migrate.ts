/** `pnpm db:migrate`: applies pending migrations with Prisma's schema engine (no download). */
import { applyMigrations } from "./src/migrations.js";
import { databaseUrlFromEnv } from "./src/database-url.js";
import { ensureDatabase } from "./src/ensure-database.js";

const url = databaseUrlFromEnv();
await ensureDatabase(url);
const applied = await applyMigrations(url);
console.log(
  applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "Database is up to date: no migrations to apply.",
);

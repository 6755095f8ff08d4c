/** `pnpm db:migrate`: applies pending migrations with Prisma's schema engine (no download). */
import { applyMigrations } from "@agora/prisma/migrations";
import { databaseUrlFromEnv } from "@agora/prisma/database-url";
import { ensureDatabase } from "@agora/prisma/ensure-database";

const url = databaseUrlFromEnv();
await ensureDatabase(url);
const applied = await applyMigrations(url);
console.log(
  applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "Database is up to date: no migrations to apply.",
);

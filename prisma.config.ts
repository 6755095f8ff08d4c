import { defineConfig } from "prisma/config";

// The Prisma CLI is used only for `generate` (offline). Migrations are applied by prisma/migrate.ts
// through Prisma's WebAssembly schema engine; see README "Database".
export default defineConfig({
  schema: "prisma/schema",
  migrations: { path: "prisma/migrations" },
});

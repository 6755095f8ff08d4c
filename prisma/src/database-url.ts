/** The database the Prisma programs (migrate, seed) work on, validated like every service's config. */
import { commonEnv, loadConfig, type Env } from "@agora/platform";
import { z } from "zod";

export const defaultDatabaseUrl = "postgresql://postgres@127.0.0.1:5432/agora";

export function databaseUrlFromEnv(env: Env = process.env): string {
  return loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, env).DATABASE_URL;
}

/** `pnpm db:seed`'s variables (README, "Configuration"). */
export const seedEnv = {
  DATABASE_URL: commonEnv.DATABASE_URL,
  /** Demo users (the four demo accounts are among them). @defaultValue 1000 */
  SEED_USERS: z.coerce.number().int().min(4).max(1_000_000).default(1000),
  /** Demo offers. @defaultValue 10000 */
  SEED_OFFERS: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  /** Reviews per offer. @defaultValue 3 */
  SEED_REVIEWS_PER_OFFER: z.coerce.number().int().min(0).max(50).default(3),
  /** `1` wipes the demo tables of a database that already has users, then seeds. @defaultValue 0 */
  SEED_FORCE: z.enum(["0", "1"]).default("0"),
};

export const loadSeedConfig = (env: Env = process.env) => loadConfig(seedEnv, env);

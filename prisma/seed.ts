/**
 * `pnpm db:seed`: deterministic demo data (1,000 users, 10,000 offers, 30,000 reviews by default)
 * into an empty database. Refuses to write into a database that already has users unless
 * SEED_FORCE=1 (which first deletes the demo tables' rows).
 */
import { createDatabase } from "@agora/platform/database";
import { rebuildVocabulary } from "@agora/offers/search";
import { hashPassword } from "@agora/users/password";
import { loadSeedConfig } from "@agora/prisma/database-url";
import { demoAccounts, demoPassword, seedDatabase } from "@agora/prisma/seed-data";

let config;
try {
  config = loadSeedConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const counts = { users: config.SEED_USERS, offers: config.SEED_OFFERS, reviewsPerOffer: config.SEED_REVIEWS_PER_OFFER };
const url = config.DATABASE_URL;
const db = createDatabase({ url, applicationName: "agora-seed" });
const started = Date.now();
try {
  const existing = await db.primary.user.count();
  if (existing > 0) {
    if (config.SEED_FORCE !== "1") {
      console.log(`The database already has ${existing} users: not seeding. Set SEED_FORCE=1 to wipe and re-seed.`);
      process.exit(0);
    }
    await db.primary.$executeRawUnsafe(
      "TRUNCATE users.users, users.refresh_tokens, offers.offers, offers.search_changes, offers.search_words, reviews.reviews, reviews.offer_ratings, jobs.jobs, jobs.offer_images, jobs.analytics_events, jobs.offer_daily_stats",
    );
  }
  const passwordHash = await hashPassword(demoPassword);
  let last = "";
  const result = await seedDatabase(db.primary, {
    ...counts,
    passwordHash,
    onProgress(step, done, total) {
      const line = `  ${step.padEnd(8)} ${String(done).padStart(6)} / ${total}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
      else if (done === total || step !== last) console.log(line);
      if (process.stdout.isTTY && done === total) process.stdout.write("\n");
      last = step;
    },
  });
  // Seeded rows bypass the offers API, so the typo-tolerance vocabulary is built here in one pass.
  const words = await rebuildVocabulary(db.primary);
  console.log(
    `Seeded ${result.users} users, ${result.offers} offers, ${result.reviews} reviews (${words} search words) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
  if (process.env.ELASTICSEARCH_URL) console.log("Elasticsearch is configured: run `pnpm search:reindex` to index the seeded offers.");
  console.log(`Demo accounts (password "${demoPassword}"): ${demoAccounts.map((a) => `${a.email} (${a.role})`).join(", ")}`);
} finally {
  await db.disconnect();
}

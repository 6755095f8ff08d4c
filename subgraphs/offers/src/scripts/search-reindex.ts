/**
 * `pnpm search:reindex`: rebuilds the offers search index now, in this process, with a progress
 * bar (the same rebuild as the reindexOffers mutation, which queues it for a worker instead).
 * Elasticsearch: a new versioned index, the changes that arrived meanwhile, an atomic alias swap,
 * the old index dropped. Postgres: REINDEX CONCURRENTLY and a rebuilt vocabulary. Searches keep
 * working throughout. Reads the offers service's configuration (DATABASE_URL, ELASTICSEARCH_*).
 */
import { checkPostgres } from "@agora/platform/subgraph";
import { createDatabase } from "@agora/platform/database";
import { createLogger } from "@agora/platform";
import { loadOffersConfig } from "../config.js";
import { createSearchBackend } from "../search/create-search-backend.js";
import { progressBar } from "./progress-bar.js";

const config = loadOffersConfig();
const log = createLogger("search-reindex", config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
const db = createDatabase({ url: config.DATABASE_URL, poolSize: 2, applicationName: "agora-search-reindex" });
await checkPostgres(db, config.DATABASE_URL);
const backend = createSearchBackend(config, log);
const bar = progressBar(process.stderr, `Reindexing offers (${backend.name})`);
const started = Date.now();
try {
  const result = await backend.reindex(db.primary, { onProgress: ({ indexed, total }) => bar.update(indexed, total) });
  bar.done();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const where = result.index ? ` into ${result.index} (alias ${config.ELASTICSEARCH_INDEX} swapped)` : "";
  const caughtUp = result.caughtUp ? `, ${result.caughtUp} written meanwhile applied` : "";
  console.log(`Reindexed ${result.indexed} offers${where}${caughtUp} in ${seconds} s.`);
} catch (error) {
  bar.done();
  console.error(`Reindex failed, the current index keeps serving: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await backend.close();
  await db.disconnect();
}

/**
 * A search indexer in a process of its own, so a test can kill it with SIGKILL mid-bulk. Reads
 * DATABASE_URL, ELASTICSEARCH_URL and ELASTICSEARCH_INDEX; prints "ready" once it listens.
 */
import { createDatabase } from "@agora/platform/database";
import { createLogger } from "@agora/platform";
import { createElasticsearchClient } from "../../src/search/elasticsearch-client.js";
import { createElasticsearchSearch } from "../../src/search/elasticsearch-search.js";
import { startSearchIndexer } from "../../src/search/search-indexer.js";

const databaseUrl = process.env.DATABASE_URL ?? "";
const db = createDatabase({ url: databaseUrl, poolSize: 2, applicationName: "agora-search-indexer-test" });
const log = createLogger("search-indexer-test", "silent");
const client = createElasticsearchClient({ url: process.env.ELASTICSEARCH_URL ?? "", requestTimeoutMs: 120_000 });
const backend = createElasticsearchSearch({ client, index: process.env.ELASTICSEARCH_INDEX ?? "agora-offers" }, log);
await startSearchIndexer({ db: db.primary, databaseUrl, backend, log, pollMs: 200 });
console.log("ready");

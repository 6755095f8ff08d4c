import type { Logger } from "@agora/platform";
import { createElasticsearchClient } from "./elasticsearch-client.js";
import { createElasticsearchSearch } from "./elasticsearch-search.js";
import { createPostgresSearch } from "./postgres-search.js";
import type { SearchBackend } from "./search-backend.js";

export interface SearchConfig {
  ELASTICSEARCH_URL?: string | undefined;
  ELASTICSEARCH_INDEX: string;
  ELASTICSEARCH_API_KEY?: string | undefined;
  ELASTICSEARCH_REQUEST_TIMEOUT_MS: number;
}

/**
 * ELASTICSEARCH_URL set: Elasticsearch. The index is created in the background if missing; when
 * Elasticsearch is down the service still starts, says so in the log, answers searches with
 * SERVICE_UNAVAILABLE and the indexer retries. Otherwise Postgres full-text search.
 */
export function createSearchBackend(config: SearchConfig, log: Logger): SearchBackend {
  if (!config.ELASTICSEARCH_URL) return createPostgresSearch();
  const client = createElasticsearchClient({
    url: config.ELASTICSEARCH_URL,
    apiKey: config.ELASTICSEARCH_API_KEY,
    requestTimeoutMs: config.ELASTICSEARCH_REQUEST_TIMEOUT_MS,
  });
  const backend = createElasticsearchSearch({ client, index: config.ELASTICSEARCH_INDEX }, log);
  const where = new URL(config.ELASTICSEARCH_URL);
  const elasticsearch = `${where.protocol}//${where.host}`;
  backend.ready().then(
    () => log.info({ elasticsearch, index: config.ELASTICSEARCH_INDEX }, "Elasticsearch index ready"),
    (error: unknown) =>
      log.error(
        { err: error, elasticsearch, index: config.ELASTICSEARCH_INDEX },
        `Elasticsearch is not reachable at ${elasticsearch}: search fails until it is. Start it, or unset ELASTICSEARCH_URL to search with Postgres.`,
      ),
  );
  return backend;
}

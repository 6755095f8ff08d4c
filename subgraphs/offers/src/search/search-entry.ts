/**
 * The public entry of offer search for other packages (`@agora/offers/search`): the workers run the
 * search indexer and SEARCH_REINDEX jobs with it, `pnpm search:reindex` runs a rebuild. Nothing
 * else of the search internals is meant to be imported from outside the offers subgraph.
 */
export { createSearchBackend, type SearchConfig } from "./create-search-backend.js";
export type { ReindexProgress, ReindexResult, SearchBackend } from "./search-backend.js";
export { startSearchIndexer, type SearchIndexer, type SearchIndexerOptions } from "./search-indexer.js";
export { searchIndexLag, type SearchIndexLag } from "./search-outbox.js";
export { searchEnv } from "./search-config.js";
export { rebuildVocabulary } from "./search-vocabulary.js";

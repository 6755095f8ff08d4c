import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { createSubgraphServer, type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import { createContext, type AnalyticsRecorder } from "./context.js";
import { resolvers } from "./resolvers/index.js";
import { createPostgresSearch } from "./search/postgres-search.js";
import type { SearchBackend } from "./search/search-backend.js";

export const typeDefs = parse(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));

export interface OffersSubgraphOptions {
  /** @defaultValue Postgres full-text search (see createSearchBackend for the configured one) */
  search?: SearchBackend;
  /** Where offer views and search results are recorded; @defaultValue nowhere */
  analytics?: AnalyticsRecorder;
}

export async function createOffersSubgraph(runtime: SubgraphRuntime, options: OffersSubgraphOptions = {}): Promise<SubgraphServer> {
  const search = options.search ?? createPostgresSearch();
  return createSubgraphServer(
    { name: "offers", typeDefs, resolvers, createContext: (base) => createContext(base, search, options.analytics) },
    runtime,
  );
}

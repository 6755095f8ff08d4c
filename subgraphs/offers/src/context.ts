import type { SubgraphBaseContext } from "@agora/platform";
import { createLoaders, type Loaders } from "./data/loaders.js";
import type { SearchBackend } from "./search/search-backend.js";

export type Context = SubgraphBaseContext & {
  loaders: Loaders;
  /** The configured search backend (shared by all requests). */
  search: SearchBackend;
};

export function createContext(base: SubgraphBaseContext, search: SearchBackend): Context {
  return { ...base, loaders: createLoaders(() => base.db.read), search };
}

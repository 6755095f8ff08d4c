import type { AnalyticsEventInput } from "@agora/platform/analytics";
import type { SubgraphBaseContext } from "@agora/platform/subgraph";
import { createLoaders, type Loaders } from "./data/loaders.js";
import type { SearchBackend } from "./search/search-backend.js";

export type Context = SubgraphBaseContext & {
  loaders: Loaders;
  /** The configured search backend (shared by all requests). */
  search: SearchBackend;
  /** Records an analytics event without waiting (offer views, search results). */
  recordAnalytics: AnalyticsRecorder;
};

export type AnalyticsRecorder = (event: AnalyticsEventInput) => void;
export const noAnalytics: AnalyticsRecorder = () => {};

export function createContext(base: SubgraphBaseContext, search: SearchBackend, recordAnalytics: AnalyticsRecorder = noAnalytics): Context {
  return { ...base, loaders: createLoaders(() => base.db.read), search, recordAnalytics };
}

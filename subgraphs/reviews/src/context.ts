import type { IncomingMessage } from "node:http";
import { identityHeader } from "@agora/platform";
import { type SubgraphBaseContext } from "@agora/platform/subgraph";
import type { LivePublisher } from "@agora/platform/live-events";
import { createLoaders, type Loaders } from "./data/loaders.js";
import type { OfferDirectory } from "./data/offer-directory.js";
import { viewerOf, type Viewer } from "./data/review.repository.js";

export interface Services {
  offers: OfferDirectory;
  /** Where review notifications are published; none: nobody is told (e.g. tests of this package). */
  live?: LivePublisher | undefined;
}

export type Context = SubgraphBaseContext & {
  loaders: Loaders;
  viewer: Viewer;
  /** The caller's signed identity header, forwarded when reviews asks the offers subgraph. */
  identityToken: string | null;
  services: Services;
};

export function createContext(base: SubgraphBaseContext, req: IncomingMessage, services: Services): Context {
  const viewer = viewerOf(base.identity);
  const header = req.headers[identityHeader];
  return {
    ...base,
    viewer,
    loaders: createLoaders(base.db, viewer),
    identityToken: (Array.isArray(header) ? header[0] : header) ?? null,
    services,
  };
}

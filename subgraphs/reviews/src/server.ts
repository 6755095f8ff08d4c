import { readFileSync } from "node:fs";
import { createSubgraphServer, type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import type { LivePublisher } from "@agora/platform/live-events";
import { gql } from "graphql-tag";
import { createContext } from "./context.js";
import type { OfferDirectory } from "./data/offer-directory.js";
import { resolvers } from "./resolvers/index.js";

export const typeDefs = gql(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));

export interface ReviewsSubgraphOptions {
  /** Where createReview checks offers; `createHttpOfferDirectory` asks the offers subgraph. */
  offers: OfferDirectory;
  /** Publishes REVIEW_RECEIVED and REVIEW_MODERATED notifications; omitted, none are sent. */
  live?: LivePublisher;
}

export async function createReviewsSubgraph(runtime: SubgraphRuntime, options: ReviewsSubgraphOptions): Promise<SubgraphServer> {
  return createSubgraphServer(
    {
      name: "reviews",
      typeDefs,
      resolvers,
      createContext: (base, req) => createContext(base, req, { offers: options.offers, live: options.live }),
    },
    runtime,
  );
}

export { createHttpOfferDirectory, type OfferDirectory, type OfferSummary } from "./data/offer-directory.js";
export { setModerationResult } from "./data/moderation.js";

import { commonEnv, loadConfig, port, type Env } from "@agora/platform";
import { z } from "zod";

export const reviewsEnv = {
  ...commonEnv,
  PORT: port(4103),
  HOST: z.string().default("0.0.0.0"),
  /** Where createReview checks that an offer exists and is ACTIVE (its /graphql is called). */
  OFFERS_SUBGRAPH_URL: z.string().url().default("http://127.0.0.1:4102"),
  /** How long createReview waits for the offers subgraph before SERVICE_UNAVAILABLE. */
  OFFERS_LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
};

export type ReviewsConfig = ReturnType<typeof loadReviewsConfig>;

export const loadReviewsConfig = (env: Env = process.env) => loadConfig(reviewsEnv, env);

/** The search variables, shared by every process that talks to the search backend (offers, workers, pnpm search:reindex). */
import { z } from "zod";

export const searchEnv = {
  /** When set, search and indexing use Elasticsearch; otherwise Postgres full-text search. */
  ELASTICSEARCH_URL: z.string().url().optional(),
  /** The alias searches and writes go through (the index behind it is versioned). @defaultValue "agora-offers" */
  ELASTICSEARCH_INDEX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be a lower-case Elasticsearch index name")
    .default("agora-offers"),
  /** Optional API key (base64 "id:key" as Elasticsearch issues it); basic auth can go in the URL. */
  ELASTICSEARCH_API_KEY: z.string().min(1).optional(),
  /** @defaultValue 5000 */
  ELASTICSEARCH_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
};

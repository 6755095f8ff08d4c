import { createPostgresSearch } from "../src/search/postgres-search.js";
import { describeSearchBehaviour } from "./search.behaviour.js";

describeSearchBehaviour("searchOffers on the Postgres full-text backend", async () => ({
  backend: createPostgresSearch(),
  // Postgres search reads the table itself: a committed write is visible at once.
  settle: async () => {},
  cleanup: async () => {},
}));

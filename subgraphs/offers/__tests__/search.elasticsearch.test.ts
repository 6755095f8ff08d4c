import { randomBytes } from "node:crypto";
import { createLogger } from "@agora/platform";
import { createElasticsearchClient } from "../src/search/elasticsearch-client.js";
import { ensureIndex, indexesBehind } from "../src/search/elasticsearch-index.js";
import { createElasticsearchSearch } from "../src/search/elasticsearch-search.js";
import { drainSearchChanges } from "../src/search/search-outbox.js";
import { describeSearchBehaviour } from "./search.behaviour.js";

const url = process.env.ELASTICSEARCH_URL;

describeSearchBehaviour(
  url ? `searchOffers on Elasticsearch at ${new URL(url).host}` : "searchOffers on Elasticsearch (skipped: ELASTICSEARCH_URL is not set)",
  async () => {
    const client = createElasticsearchClient({ url: url ?? "http://127.0.0.1:9200", apiKey: process.env.ELASTICSEARCH_API_KEY });
    // An alias of its own per run, so parallel runs and a real `agora-offers` index are untouched.
    const target = { client, index: `agora-offers-test-${process.env.AGORA_TEST_RUN_ID ?? "run"}-${randomBytes(3).toString("hex")}` };
    await ensureIndex(target);
    const backend = createElasticsearchSearch(target, createLogger("offers-test", "silent"));
    return {
      backend,
      settle: async (offers) => {
        // What the search indexer does on each commit, then a refresh so searches see it at once.
        await drainSearchChanges(offers.db.primary, (changed, removed) => backend.applyChanges(changed, removed));
        await client.indices.refresh({ index: target.index });
      },
      cleanup: async () => {
        for (const index of await indexesBehind(target)) await client.indices.delete({ index }, { ignore: [404] });
        await backend.close();
      },
    };
  },
  url ? describe : describe.skip,
);

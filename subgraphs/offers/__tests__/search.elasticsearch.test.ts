import { randomBytes } from "node:crypto";
import { createLogger } from "@agora/platform";
import { createElasticsearchClient, createElasticsearchSearch, ensureIndex } from "../src/search/elasticsearch-search.js";
import { describeSearchBehaviour } from "./search.behaviour.js";

const url = process.env.ELASTICSEARCH_URL;

describeSearchBehaviour(
  url ? `searchOffers on Elasticsearch at ${new URL(url).host}` : "searchOffers on Elasticsearch (skipped: ELASTICSEARCH_URL is not set)",
  async () => {
    const client = createElasticsearchClient({ url: url!, apiKey: process.env.ELASTICSEARCH_API_KEY });
    // An index of its own per run, so parallel runs and a real `agora-offers` index are untouched.
    const target = { client, index: `agora-offers-test-${process.env.AGORA_TEST_RUN_ID ?? "run"}-${randomBytes(3).toString("hex")}` };
    await ensureIndex(target);
    const backend = createElasticsearchSearch(target, createLogger("offers-test", "silent"));
    return {
      backend,
      settle: async () => {
        await backend.flush();
        await client.indices.refresh({ index: target.index });
      },
      cleanup: async () => {
        await client.indices.delete({ index: target.index }, { ignore: [404] });
        await backend.close();
      },
    };
  },
  url ? describe : describe.skip,
);

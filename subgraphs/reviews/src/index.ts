import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform/subgraph";
import { loadReviewsConfig } from "./config.js";
import { createHttpOfferDirectory } from "./data/offer-directory.js";
import { createReviewsSubgraph } from "./server.js";

const config = loadReviewsConfig();
const runtime = runtimeFromConfig("reviews", config);
await checkPostgres(runtime.db, config.DATABASE_URL);
const offers = createHttpOfferDirectory({ url: config.OFFERS_SUBGRAPH_URL, timeoutMs: config.OFFERS_LOOKUP_TIMEOUT_MS });
const server = await createReviewsSubgraph(runtime, { offers });
await serveUntilSignalled("reviews", server, runtime, config.PORT, config.HOST);

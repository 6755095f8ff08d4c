import { createRedis } from "@agora/platform";
import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform/subgraph";
import { loadReviewsConfig } from "./config.js";
import { createHttpOfferDirectory } from "./data/offer-directory.js";
import { createReviewsSubgraph } from "./server.js";

const config = loadReviewsConfig();
const runtime = runtimeFromConfig("reviews", config);
await checkPostgres(runtime.db, config.DATABASE_URL);
const offers = createHttpOfferDirectory({ url: config.OFFERS_SUBGRAPH_URL, timeoutMs: config.OFFERS_LOOKUP_TIMEOUT_MS });
// A command connection of its own for notifications: runtime.redis exists only with a read replica.
const liveRedis = createRedis(config.REDIS_URL);
const live = { redis: liveRedis, keyPrefix: config.REDIS_KEY_PREFIX, log: runtime.log };
const server = await createReviewsSubgraph(runtime, { offers, live });
await serveUntilSignalled("reviews", server, runtime, config.PORT, config.HOST, async () => void liveRedis.disconnect());

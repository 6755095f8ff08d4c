import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform/subgraph";
import { createRedis } from "@agora/platform";
import { recordEvent } from "@agora/platform/analytics";
import { loadOffersConfig } from "./config.js";
import { createSearchBackend } from "./search/create-search-backend.js";
import { createOffersSubgraph } from "./server.js";

const config = loadOffersConfig();
const runtime = runtimeFromConfig("offers", config);
await checkPostgres(runtime.db, config.DATABASE_URL);
const search = createSearchBackend(config, runtime.log);
runtime.log.info({ backend: search.name }, "search backend");
// Views and searches go to a Redis stream the analytics worker drains; never awaited on the request path.
const analyticsRedis = createRedis(config.REDIS_URL);
analyticsRedis.on("error", () => {}); // recordEvent reports failures itself; ioredis would log every reconnect
const server = await createOffersSubgraph(runtime, {
  search,
  analytics: (event) =>
    recordEvent(analyticsRedis, config.REDIS_KEY_PREFIX, event, (error) =>
      runtime.log.warn({ err: error }, "analytics event not recorded"),
    ),
});
await serveUntilSignalled("offers", server, runtime, config.PORT, config.HOST, async () => {
  await search.close();
  analyticsRedis.disconnect();
});

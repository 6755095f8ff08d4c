import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform";
import { loadOffersConfig } from "./config.js";
import { createSearchBackend } from "./search/create-search-backend.js";
import { createOffersSubgraph } from "./server.js";

const config = loadOffersConfig();
const runtime = runtimeFromConfig("offers", config);
await checkPostgres(runtime.db, config.DATABASE_URL);
const search = createSearchBackend(config, runtime.log);
runtime.log.info({ backend: search.name }, "search backend");
const server = await createOffersSubgraph(runtime, { search });
await serveUntilSignalled("offers", server, runtime, config.PORT, config.HOST, () => search.close());

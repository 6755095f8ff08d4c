import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform/subgraph";
import { authSettings, loadUsersConfig } from "./config.js";
import { createUsersSubgraph } from "./server.js";

const config = loadUsersConfig();
// The spread spells out DATABASE_REPLICA_URL: runtimeFromConfig wants the key present even when unset.
const runtime = runtimeFromConfig("users", { ...config, DATABASE_REPLICA_URL: config.DATABASE_REPLICA_URL });
await checkPostgres(runtime.db, config.DATABASE_URL);
const server = await createUsersSubgraph(runtime, authSettings(config));
await serveUntilSignalled("users", server, runtime, config.PORT, config.HOST);

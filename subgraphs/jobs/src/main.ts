import { checkPostgres, runtimeFromConfig, serveUntilSignalled } from "@agora/platform/subgraph";
import { loadJobsConfig } from "./config.js";
import { createJobsSubgraph } from "./server.js";
import { settingsFromConfig } from "./settings.js";

const config = loadJobsConfig();
// The spread spells out DATABASE_REPLICA_URL: runtimeFromConfig wants the key present even when unset.
const runtime = runtimeFromConfig("jobs", { ...config, DATABASE_REPLICA_URL: config.DATABASE_REPLICA_URL });
await checkPostgres(runtime.db, config.DATABASE_URL);
// Redis is not checked here on purpose: while it is down, jobs and uploads are still accepted and
// wait in the outbox (the relay logs the outage and delivers once Redis is back).
const server = await createJobsSubgraph(runtime, settingsFromConfig(config));
await serveUntilSignalled("jobs", server, runtime, config.PORT, config.HOST);

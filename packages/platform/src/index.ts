/**
 * `@agora/platform`: what every process shares and nothing heavy — config, errors, HTTP, shutdown,
 * identity, logging, metrics, Redis. Prisma, BullMQ contracts, storage and the subgraph bootstrap
 * are subpath exports (`/database`, `/subgraph`, `/queues`, `/storage`, `/analytics`, `/job-store`),
 * so the gateway loads none of them (a test checks).
 */
export * from "./config.js";
export * from "./errors.js";
export * from "./error-response.js";
export * from "./http-server.js";
export * from "./graceful-shutdown.js";
export * from "./cors.js";
export * from "./identity.js";
export * from "./request-origin.js";
export * from "./logger.js";
export * from "./request-scope.js";
export * from "./tracing.js";
export * from "./metrics.js";
export * from "./pagination.js";
export * from "./redis.js";
export * from "./validation.js";
export * from "./with-timeout.js";
export * from "./cache-invalidation.js";
export * from "./dependency-failure.js";
export * from "./access-token.js";
export * from "./scalars.js";
export * from "./metrics/operation-names.js";
export * from "./metrics/outcome.js";
export * from "./metrics/subgraph-fetch.js";
export * from "./metrics/dependency-up.js";

/** `@agora/platform/database`: the Prisma clients (primary and replica) and their pool metrics. */
export * from "./database.js";
export * from "./metrics/database-metrics.js";

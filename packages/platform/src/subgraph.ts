/** `@agora/platform/subgraph`: what a subgraph process needs beyond the core (Prisma-backed). */
export * from "./subgraph-server.js";
export * from "./service-main.js";

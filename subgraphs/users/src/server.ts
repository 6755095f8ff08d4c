/** Builds the users subgraph (tests and index.ts start it). */
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { createSubgraphServer, type SubgraphRuntime, type SubgraphServer } from "@agora/platform/subgraph";
import type { AuthSettings } from "./auth/sessions.js";
import { createContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export const typeDefs = parse(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));

export type { AuthSettings } from "./auth/sessions.js";

export async function createUsersSubgraph(runtime: SubgraphRuntime, auth: AuthSettings): Promise<SubgraphServer> {
  return createSubgraphServer({ name: "users", typeDefs, resolvers, createContext: (base) => createContext(base, auth) }, runtime);
}

/**
 * `pnpm compose`: composes the four subgraph SDLs with @apollo/composition into
 * gateway/supergraph.graphql (committed). The gateway overrides the routing URLs at runtime from
 * its configuration; the ones written here are the local defaults.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const supergraphPath = join(root, "gateway", "supergraph.graphql");

export const subgraphs = [
  { name: "users", url: "http://127.0.0.1:4101/graphql" },
  { name: "offers", url: "http://127.0.0.1:4102/graphql" },
  { name: "reviews", url: "http://127.0.0.1:4103/graphql" },
  { name: "jobs", url: "http://127.0.0.1:4104/graphql" },
] as const;

export async function composeSupergraph(): Promise<string> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, url }) => ({
      name,
      url,
      typeDefs: parse(await readFile(join(root, "subgraphs", name, "schema.graphql"), "utf8")),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join("\n")}`);
  }
  return result.supergraphSdl;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sdl = await composeSupergraph();
  if (process.argv.includes("--check")) {
    const committed = await readFile(supergraphPath, "utf8").catch(() => "");
    if (committed !== sdl) {
      console.error("gateway/supergraph.graphql is stale: run pnpm compose");
      process.exit(1);
    }
    console.log("gateway/supergraph.graphql is current");
  } else {
    await writeFile(supergraphPath, sdl);
    console.log(`wrote ${supergraphPath}`);
  }
}

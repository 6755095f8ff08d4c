import { readFile } from "node:fs/promises";
import { generateResolverTypes, generatedPath, subgraphNames } from "../../../../scripts/codegen.js";

describe("generated resolver types", () => {
  it.each(subgraphNames)("%s: src/generated/graphql.ts matches schema.graphql (run pnpm codegen)", async (name) => {
    expect(await readFile(generatedPath(name), "utf8")).toBe(await generateResolverTypes(name));
  });
});

import { readFile } from "node:fs/promises";
import { composeSupergraph, supergraphPath } from "../scripts/compose.js";

describe("supergraph", () => {
  it("composes without errors and the committed gateway/supergraph.graphql is current (run pnpm compose)", async () => {
    const composed = await composeSupergraph();
    const committed = await readFile(supergraphPath, "utf8");
    expect(committed).toBe(composed);
  });
});

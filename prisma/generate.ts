/**
 * Generates the Prisma client offline. The Prisma CLI insists that a schema-engine binary exists
 * before it will run `generate`, although generate never executes it; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at an existing file satisfies that check without a download
 * (see ENVIRONMENT.md). The generated client talks to Postgres through @prisma/adapter-pg.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "prisma", "package.json"));
const prismaCli = require.resolve("prisma/build/index.js");

const result = spawnSync(process.execPath, [prismaCli, "generate"], {
  cwd: root,
  stdio: ["ignore", "pipe", "pipe"],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
if (result.status !== 0) {
  process.stderr.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exit(result.status ?? 1);
}
process.stdout.write("Prisma client generated in packages/platform/src/generated/prisma\n");

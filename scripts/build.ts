/**
 * `pnpm build`: compiles every package's TypeScript to JavaScript (ES modules, source maps) in
 * `<package>/dist/`, mirroring `src/`. Type checking is `pnpm typecheck`; this is transpilation only
 * (swc, the compiler Jest already uses), so it takes seconds.
 *
 * Packages export `{ "compiled": "./dist/….js", "default": "./src/….ts" }`: development and tests
 * import the TypeScript through tsx, and `node --conditions=compiled` (what `pnpm start`, the Docker
 * image and docker-compose run) loads only the compiled output.
 */
import { readdir, rm, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { transformFile, type Options } from "@swc/core";
import { workspaceRoot } from "./workspace-root.js";

/** What is compiled: each unit's sources land in its `out` directory with the same layout. */
const units: { from: string; out: string; only?: string[] }[] = [
  { from: "packages/platform/src", out: "packages/platform/dist" },
  { from: "prisma/src", out: "prisma/dist" },
  { from: "prisma", out: "prisma/dist/bin", only: ["migrate.ts", "seed.ts"] },
  { from: "subgraphs/users/src", out: "subgraphs/users/dist" },
  { from: "subgraphs/offers/src", out: "subgraphs/offers/dist" },
  { from: "subgraphs/reviews/src", out: "subgraphs/reviews/dist" },
  { from: "subgraphs/jobs/src", out: "subgraphs/jobs/dist" },
  { from: "workers/src", out: "workers/dist" },
  { from: "gateway/src", out: "gateway/dist" },
  { from: "scripts", out: "scripts/dist", only: ["start.ts", "local-environment.ts", "workspace-root.ts", "local-prometheus.ts"] },
];

const swcOptions: Options = {
  jsc: { parser: { syntax: "typescript" }, target: "es2023", keepClassNames: true },
  module: { type: "es6" },
  sourceMaps: true,
  swcrc: false,
};

async function sources(dir: string, only?: string[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (only || ["__tests__", "node_modules", "dist"].includes(entry.name)) continue;
      files.push(...(await sources(path)));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !entry.name.endsWith(".test.ts")) {
      if (!only || only.includes(entry.name)) files.push(path);
    }
  }
  return files;
}

const root = workspaceRoot();
const started = performance.now();
let count = 0;
for (const unit of units) {
  const from = join(root, unit.from);
  const out = join(root, unit.out);
  if (!unit.only) await rm(out, { recursive: true, force: true });
  const files = await sources(from, unit.only);
  await Promise.all(
    files.map(async (file) => {
      const target = join(out, relative(from, file)).replace(/\.ts$/, ".js");
      const { code, map } = await transformFile(file, { ...swcOptions, filename: file, sourceFileName: relative(dirname(target), file) });
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, `${code}\n//# sourceMappingURL=${target.split("/").pop()}.map\n`);
      if (map) await writeFile(`${target}.map`, map);
    }),
  );
  count += files.length;
}
console.log(`Compiled ${count} files in ${((performance.now() - started) / 1000).toFixed(1)} s.`);

/**
 * The gateway holds no business logic and talks to no database: building it (its server module and
 * everything that imports) must not load Prisma, BullMQ or the storage code. `@agora/platform`'s
 * barrel keeps those behind subpath exports; this test fails if an import drags them back in.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const recorder = new URL("./fixtures/record-modules.mjs", import.meta.url).href;
const server = new URL("../src/server.ts", import.meta.url).href;

test("loading the gateway loads neither Prisma nor BullMQ", () => {
  const dir = mkdtempSync(join(tmpdir(), "agora-boundaries-"));
  const file = join(dir, "modules.json");
  execFileSync(
    process.execPath,
    ["--import", "tsx", "--import", recorder, "--input-type=module", "-e", `await import(${JSON.stringify(server)});`],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, NODE_OPTIONS: "", RECORD_MODULES_FILE: file } },
  );
  const urls = JSON.parse(readFileSync(file, "utf8")) as string[];
  rmSync(dir, { recursive: true, force: true });
  // The recorder works: the gateway's own dependencies are there.
  expect(urls.some((u) => u.includes("/@apollo/gateway/"))).toBe(true);
  expect(urls.some((u) => u.includes("/packages/platform/src/index.ts"))).toBe(true);
  const forbidden = urls.filter((u) =>
    /\/@prisma\/|\/bullmq\/|generated\/prisma|\/platform\/src\/(database|storage|queues|job-store)/.test(u),
  );
  expect(forbidden).toEqual([]);
});

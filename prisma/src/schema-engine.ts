/**
 * Loads Prisma's schema engine compiled to WebAssembly and connects it to Postgres through
 * @prisma/adapter-pg. This replaces the native schema-engine binary that the Prisma CLI would
 * download (impossible here, see ENVIRONMENT.md) while keeping Prisma's own migration semantics:
 * the same migration folder format and the same `_prisma_migrations` bookkeeping table.
 *
 * The package's main entry imports its .wasm file as an ES module, which Node refuses, so the
 * bindings module is imported directly and the .wasm instantiated by hand.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";

export type { SchemaEngine };

let wasmReady: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require
      .resolve("@prisma/schema-engine-wasm/schema_engine_bg")
      .replace(/schema_engine_bg\.js$/, "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      "./schema_engine_bg.js": bindings as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start: () => void };
    bindings.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
  })();
  return wasmReady;
}

export interface SchemaFile {
  path: string;
  content: string;
}

/** Opens a schema engine on `databaseUrl` for the given Prisma schema files. Call `free()` when done. */
export async function openSchemaEngine(
  databaseUrl: string,
  schemaFiles: SchemaFile[],
  log: (message: string) => void = () => {},
): Promise<SchemaEngine> {
  await loadWasm();
  // A config object (not a bare string) keeps adapter-pg from reusing the main database as its
  // shadow database.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: databaseUrl }));
  return bindings.SchemaEngine.new(
    { datamodels: schemaFiles.map((f) => [f.path, f.content] as [string, string]) },
    (message: string) => log(message),
    adapter,
  );
}

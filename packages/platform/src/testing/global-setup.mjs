// Jest global setup (plain JS: Jest loads it outside the ESM transform). One template database per
// run, migrated once with the same program as `pnpm db:migrate`; each test file then clones it
// (CREATE DATABASE ... TEMPLATE, a file copy) so files never share rows. Names carry the run id so
// parallel runs on one machine do not collide; global-teardown.mjs drops them.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

export function testServerUrl(database) {
  const url = new URL(process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function globalSetup() {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const template = `agora_test_${runId}_template`;
  execFileSync(process.execPath, ["--import", "tsx", "prisma/migrate.ts"], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: testServerUrl(template) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const admin = new pg.Client({ connectionString: testServerUrl("postgres") });
  await admin.connect();
  // No connection may stay open on a template while it is copied.
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [template]);
  await admin.end();
  process.env.AGORA_TEST_RUN_ID = runId;
  process.env.AGORA_TEST_TEMPLATE_DB = template;
}

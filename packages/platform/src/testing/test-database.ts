/**
 * Each test file gets a database of its own, cloned from the run's migrated template, and a Redis
 * key prefix of its own. Refuses to touch a database whose name does not start with agora_test_.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The Postgres server tests use; TEST_DATABASE_URL's database part is ignored. */
export function testServerUrl(database: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  url.pathname = `/${database}`;
  return url.toString();
}

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}

function runId(): string {
  const id = process.env.AGORA_TEST_RUN_ID;
  if (!id) throw new Error("AGORA_TEST_RUN_ID is not set: run tests through `pnpm test` so the Jest global setup runs.");
  return id;
}

/** A unique Redis key prefix for one test file (or one test). */
export function testKeyPrefix(label = "t"): string {
  return `agora-test:${runId()}:${label}:${randomBytes(3).toString("hex")}:`;
}

export async function createTestDatabase(label = "db"): Promise<string> {
  const template = process.env.AGORA_TEST_TEMPLATE_DB;
  if (!template) throw new Error("AGORA_TEST_TEMPLATE_DB is not set: run tests through `pnpm test`.");
  const name = `agora_test_${runId()}_${label
    .replace(/[^a-z0-9]/gi, "")
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testServerUrl("postgres") });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (error) {
        // Two files cloning the template at the same instant can collide; try again shortly.
        if (attempt >= 10 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return testServerUrl(name);
}

// Drops the run's databases and deletes the run's Redis keys.
import pg from "pg";
import { Redis } from "ioredis";
import { testServerUrl } from "./global-setup.mjs";

export default async function globalTeardown() {
  const runId = process.env.AGORA_TEST_RUN_ID;
  if (!runId) return;
  const admin = new pg.Client({ connectionString: testServerUrl("postgres") });
  await admin.connect();
  const { rows } = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`agora_test_${runId}_%`]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `agora-test:${runId}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== "0");
  } catch {
    // Redis may have been stopped by a test on purpose; leftover keys expire with the run.
  } finally {
    redis.disconnect();
  }
}

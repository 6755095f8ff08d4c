/**
 * The audit log's guarantees at the database and recorder level: the application role can insert
 * and read but never update, delete or truncate; the trigger stops even the owner outside
 * retention; audit.prune removes only what is older than the retention (never under 30 days); the
 * recorder keeps secrets out of details and falls back to Postgres (or the log) when Redis is down.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import { createDatabase, type Database } from "../database.js";
import { createRedis } from "../redis.js";
import { countAuditEvents, directAuditWriter, insertAuditEvents, pruneAuditEvents } from "../audit/index.js";
import { auditStreamKey, createAuditRecorder, parseAuditStreamEntry, sanitizeDetails, toAuditRecord } from "../audit-events.js";
import { signRequestOrigin, verifyRequestOrigin } from "../request-origin.js";
import { createTestDatabase, testKeyPrefix, testRedisUrl, unusedPort } from "../testing/index.js";

let url: string;
let db: Database;
beforeAll(async () => {
  url = await createTestDatabase("audit");
  db = createDatabase({ url, poolSize: 2 });
});
afterAll(async () => {
  await db.disconnect();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
const event = (occurredAt = new Date()) => toAuditRecord({ action: "SIGN_IN", outcome: "FAILURE", occurredAt }, "test");

/** Runs `sql` on a connection of its own, as `role` when given; resolves with the error's code and message, or "ok". */
async function attempt(sql: string, role?: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (role) await client.query(`SET ROLE ${role}`);
    await client.query(sql);
    return "ok";
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return `${code}: ${message}`;
  } finally {
    await client.end();
  }
}

describe("audit.events is append-only", () => {
  it("lets the application role insert and read, and refuses it UPDATE, DELETE and TRUNCATE", async () => {
    const id = randomUUID();
    expect(
      await attempt(
        `INSERT INTO audit.events (id, occurred_at, service, action, outcome) VALUES ('${id}', now(), 't', 'SIGN_IN', 'SUCCESS')`,
        "agora_app",
      ),
    ).toBe("ok");
    expect(await attempt(`SELECT * FROM audit.events WHERE id = '${id}'`, "agora_app")).toBe("ok");
    expect(await attempt(`UPDATE audit.events SET outcome = 'FAILURE' WHERE id = '${id}'`, "agora_app")).toBe(
      "42501: permission denied for table events",
    );
    expect(await attempt(`DELETE FROM audit.events WHERE id = '${id}'`, "agora_app")).toBe("42501: permission denied for table events");
    expect(await attempt(`TRUNCATE audit.events`, "agora_app")).toBe("42501: permission denied for table events");
    expect(await countAuditEvents(db.primary, {})).toBeGreaterThanOrEqual(1);
    expect((await db.primary.auditEvent.findUniqueOrThrow({ where: { id } })).outcome).toBe("SUCCESS");
  });

  it("stops even the owner (a superuser here) outside retention", async () => {
    const record = event();
    await insertAuditEvents(db.primary, [record]);
    expect(await attempt(`UPDATE audit.events SET outcome = 'SUCCESS' WHERE id = '${record.id}'`)).toMatch(
      /^42501: audit.events is append-only: UPDATE refused/,
    );
    expect(await attempt(`DELETE FROM audit.events WHERE id = '${record.id}'`)).toMatch(
      /^42501: audit.events is append-only: DELETE refused/,
    );
    expect(await attempt(`TRUNCATE audit.events`)).toMatch(/^42501: audit.events is append-only: TRUNCATE refused/);
    // The flag audit.prune sets is transaction-local: set by hand in one statement, it is gone in the next.
    expect(await attempt(`SELECT set_config('audit.pruning', 'on', true)`)).toBe("ok");
    expect(await attempt(`DELETE FROM audit.events WHERE id = '${record.id}'`)).toMatch(/append-only: DELETE refused/);
    expect(await db.primary.auditEvent.count({ where: { id: record.id } })).toBe(1);
  });

  it("inserts an event once however often it arrives (the drain may deliver twice)", async () => {
    const record = event();
    expect(await insertAuditEvents(db.primary, [record])).toBe(1);
    expect(await insertAuditEvents(db.primary, [record, record])).toBe(0);
    expect(await db.primary.auditEvent.count({ where: { id: record.id } })).toBe(1);
  });
});

describe("retention (audit.prune)", () => {
  it("removes only events older than the retention, also when the application role asks", async () => {
    const old = event(daysAgo(400));
    const kept = event(daysAgo(40));
    await insertAuditEvents(db.primary, [old, kept]);
    expect(await pruneAuditEvents(db.primary, 365)).toBe(1);
    expect(await db.primary.auditEvent.count({ where: { id: { in: [old.id, kept.id] } } })).toBe(1);
    expect(await attempt(`SELECT audit.prune(30)`, "agora_app")).toBe("ok");
    expect(await db.primary.auditEvent.count({ where: { id: kept.id } })).toBe(0);
  });

  it("keeps at least 30 days whoever calls it", async () => {
    const recent = event(daysAgo(10));
    await insertAuditEvents(db.primary, [recent]);
    await expect(pruneAuditEvents(db.primary, 5)).rejects.toThrow(/keeps at least 30 days, got 5/);
    expect(await attempt(`SELECT audit.prune(0)`, "agora_app")).toMatch(/^22023: audit.prune keeps at least 30 days/);
    expect(await db.primary.auditEvent.count({ where: { id: recent.id } })).toBe(1);
  });
});

describe("the recorder", () => {
  const silent = () => {
    const warnings: Record<string, unknown>[] = [];
    const log = { warn: (fields: Record<string, unknown>) => warnings.push(fields) } as unknown as Logger;
    return { log, warnings };
  };

  it("never stores passwords, tokens or secrets in details", () => {
    expect(
      sanitizeDetails({
        reason: "WRONG_PASSWORD",
        password: "hunter2",
        newPassword: "x",
        refreshToken: "abc",
        nested: { apiKey: "k", authorization: "Bearer t", clientSecret: "s", keep: 1 },
      }),
    ).toEqual({ reason: "WRONG_PASSWORD", nested: { keep: 1 } });
  });

  it("appends to the audit stream, and the entry parses back into the same event", async () => {
    const redis = createRedis(testRedisUrl());
    const prefix = testKeyPrefix("audit");
    const { log } = silent();
    const recorder = createAuditRecorder({ redis, keyPrefix: prefix, service: "users", log });
    try {
      recorder.record({
        action: "ROLE_CHANGE",
        outcome: "SUCCESS",
        actorId: randomUUID(),
        targetType: "USER",
        details: { token: "t", to: "ADMIN" },
      });
      await recorder.flush();
      const entries = await redis.xrange(auditStreamKey(prefix), "-", "+");
      expect(entries).toHaveLength(1);
      const parsed = parseAuditStreamEntry(entries[0]![1]);
      expect(parsed).toMatchObject({
        action: "ROLE_CHANGE",
        outcome: "SUCCESS",
        service: "users",
        details: { to: "ADMIN" },
        traceId: null,
      });
      expect(JSON.stringify(entries)).not.toContain('"token"');
    } finally {
      await redis.del(auditStreamKey(prefix));
      redis.disconnect();
    }
  });

  it("writes to Postgres directly when Redis is down, and logs the whole event when that fails too", async () => {
    const down = createRedis(`redis://127.0.0.1:${await unusedPort()}`, { retryStrategy: () => null, lazyConnect: true });
    down.on("error", () => undefined);
    const { log, warnings } = silent();
    const direct = createAuditRecorder({ redis: down, keyPrefix: "x:", service: "users", log, fallback: directAuditWriter(db.primary) });
    const targetId = randomUUID();
    direct.record({ action: "SIGN_IN", outcome: "FAILURE", targetType: "USER", targetId });
    await direct.flush();
    expect(await db.primary.auditEvent.count({ where: { targetId } })).toBe(1);

    const logged = createAuditRecorder({ redis: down, keyPrefix: "x:", service: "gateway", log, redisTimeoutMs: 500 });
    logged.record({ action: "RATE_LIMITED", outcome: "DENIED", targetType: "CLIENT", targetId: "203.0.113.9" });
    await logged.flush();
    expect(warnings.at(-1)).toMatchObject({ audit: { action: "RATE_LIMITED", service: "gateway", targetId: "203.0.113.9" } });
    down.disconnect();
  });
});

describe("the signed request origin", () => {
  const secret = "origin-test-secret-0123456789abcdefghij";
  it("verifies what the gateway signed, and nothing forged, altered or expired", () => {
    const origin = { clientIp: "203.0.113.5", requestId: "r-1" };
    const header = signRequestOrigin(origin, secret);
    expect(verifyRequestOrigin(header, secret)).toEqual(origin);
    expect(verifyRequestOrigin(signRequestOrigin(origin, "another-secret-0123456789abcdefghijklmn"), secret)).toBeNull();
    const [payload, mac] = header.split(".");
    const altered = Buffer.from(JSON.stringify({ ip: "10.0.0.1", rid: "r-1", exp: 9_999_999_999 })).toString("base64url");
    expect(verifyRequestOrigin(`${altered}.${mac}`, secret)).toBeNull();
    expect(verifyRequestOrigin(`${payload}.`, secret)).toBeNull();
    expect(verifyRequestOrigin(signRequestOrigin(origin, secret, 60, Date.now() - 120_000), secret)).toBeNull();
    expect(verifyRequestOrigin(undefined, secret)).toBeNull();
  });
});

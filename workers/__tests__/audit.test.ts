/**
 * Audit events travel from a service's recorder through the Redis stream into audit.events, drained
 * by a real worker process: nothing is lost when the consumer that read an entry dies before
 * acknowledging it (another one claims it, and an entry already inserted is not inserted twice),
 * stored entries leave the stream, and the maintenance schedule's retention prunes old events.
 */
import { jest } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { createLogger } from "@agora/platform";
import { auditStreamKey, createAuditRecorder, parseAuditStreamEntry, type AuditRecorder } from "@agora/platform/audit-events";
import { insertAuditEvents } from "@agora/platform/audit";
import { createHarness, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

const group = "analytics-workers";
let h: Harness;
let recorder: AuditRecorder;
beforeAll(async () => {
  h = await createHarness("audit");
  recorder = createAuditRecorder({ redis: h.redis, keyPrefix: h.prefix, service: "users", log: createLogger("audit-test", "silent") });
});
afterAll(async () => {
  await recorder.close();
  await h.close();
});

const rowsFor = (targetId: string) => h.prisma.auditEvent.findMany({ where: { targetId } });
const pendingCount = async () => ((await h.redis.xpending(auditStreamKey(h.prefix), group)) as [number])[0];

it("a consumer killed between read and insert loses nothing, and an entry stored before the crash is stored once", async () => {
  const stream = auditStreamKey(h.prefix);
  // The group exists before any worker runs, as it would after a worker's first start.
  await h.redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  const lost = randomUUID();
  const inserted = randomUUID();
  recorder.record({ action: "SIGN_IN", outcome: "FAILURE", targetType: "USER", targetId: lost });
  recorder.record({ action: "REFRESH_TOKEN_REUSE", outcome: "FAILURE", targetType: "USER", targetId: inserted });
  await recorder.flush();

  // A consumer reads both and "crashes": one entry never stored, the other stored but never acknowledged.
  const reply = (await h.redis.xreadgroup("GROUP", group, "crashed-consumer", "COUNT", 10, "STREAMS", stream, ">")) as [
    string,
    [string, string[]][],
  ][];
  const entries = reply[0]![1];
  expect(entries).toHaveLength(2);
  const secondEvent = parseAuditStreamEntry(entries[1]![1])!;
  await insertAuditEvents(h.prisma, [secondEvent]);
  expect(await pendingCount()).toBe(2);

  const worker = await h.startWorker({ WORKER_QUEUES: "analytics", ANALYTICS_CLAIM_IDLE_MS: "300" });
  await waitFor("both pending entries claimed, stored and acknowledged", async () => (await pendingCount()) === 0);
  // The one it stored; the other was in Postgres already.
  const health = (await (await fetch(worker.healthUrl)).json()) as { auditEventsDrained: number };
  expect(health.auditEventsDrained).toBe(1);
  expect(await rowsFor(lost)).toEqual([expect.objectContaining({ action: "SIGN_IN", outcome: "FAILURE", service: "users" })]);
  expect(await rowsFor(inserted)).toEqual([expect.objectContaining({ id: secondEvent.id, action: "REFRESH_TOKEN_REUSE" })]);
  // Stored entries are deleted: the stream is not trimmed by length, so it holds only what waits.
  expect(await h.redis.xlen(stream)).toBe(0);
});

it("drains new events as they are recorded, exactly one row each", async () => {
  const targets = Array.from({ length: 5 }, () => randomUUID());
  for (const targetId of targets) recorder.record({ action: "ROLE_CHANGE", outcome: "SUCCESS", targetType: "USER", targetId });
  recorder.record({ action: "ROLE_CHANGE", outcome: "SUCCESS", targetType: "USER", targetId: targets[0], idempotencyKey: "twice" });
  recorder.record({ action: "ROLE_CHANGE", outcome: "SUCCESS", targetType: "USER", targetId: targets[0], idempotencyKey: "twice" });
  await recorder.flush();
  const stored = await waitFor("every event in audit.events", async () => {
    const rows = await h.prisma.auditEvent.findMany({ where: { targetId: { in: targets } } });
    return rows.length >= 6 ? rows : null;
  });
  expect(stored).toHaveLength(6);
  await waitFor("the stream emptied", async () => (await h.redis.xlen(auditStreamKey(h.prefix))) === 0);
});

it("prunes events older than AUDIT_RETENTION_DAYS in the maintenance run, keeping the rest", async () => {
  await h.stopAll();
  await h.startWorker({ WORKER_QUEUES: "maintenance", AUDIT_RETENTION_DAYS: "30" });
  const old = randomUUID();
  const recent = randomUUID();
  const at = (days: number) => new Date(Date.now() - days * 86_400_000);
  await insertAuditEvents(h.prisma, [
    { ...baseRecord(), targetId: old, occurredAt: at(31) },
    { ...baseRecord(), targetId: recent, occurredAt: at(29) },
  ]);
  const job = await h.submit({ type: "MAINTENANCE", input: { task: "prune-audit-log" } });
  const done = await h.waitForStatus(job.id, "COMPLETED");
  expect(done.result).toMatchObject({ task: "prune-audit-log", auditEvents: { retentionDays: 30 } });
  expect((done.result as { auditEvents: { deleted: number } }).auditEvents.deleted).toBeGreaterThanOrEqual(1);
  expect(await rowsFor(old)).toEqual([]);
  expect(await rowsFor(recent)).toHaveLength(1);
});

function baseRecord() {
  return {
    id: randomUUID(),
    occurredAt: new Date(),
    service: "test",
    action: "SIGN_IN" as const,
    outcome: "SUCCESS" as const,
    actorId: null,
    actorRole: null,
    clientIp: null,
    targetType: "USER",
    targetId: null as string | null,
    requestId: null,
    traceId: null,
    details: {},
  };
}

/**
 * The audit log through the gateway: the client address the gateway trusts (TRUSTED_PROXIES) and
 * its request id reach the subgraph's audit rows signed, a client's own origin header is ignored,
 * and rate-limit and operation-limit refusals are aggregated into one event per client and budget
 * or limit per window, however many refusals there were.
 */
import { auditStreamKey, parseAuditStreamEntry, type AuditRecord } from "@agora/platform/audit-events";
import { createRedis } from "@agora/platform";
import { testRedisUrl } from "@agora/platform/testing";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    label: "audit",
    seed: { users: 4, offers: 2, reviewsPerOffer: 1 },
    gatewayEnv: { TRUSTED_PROXIES: "127.0.0.1,::1" },
  });
});
afterAll(() => stack.stop());

const post = async (url: string, query: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] } };
};

it("stores the client address the gateway trusts and its request id with a subgraph's event, never a client's own origin header", async () => {
  const response = await post(
    stack.gatewayUrl,
    `mutation { login(email: "nobody@agora.test", password: "wrong-password") { accessToken } }`,
    {
      "x-forwarded-for": "198.51.100.23",
      "x-request-id": "audit-e2e-1",
      // A client trying to choose its own recorded address: dropped by the gateway.
      "x-agora-origin": "eyJpcCI6IjEuMi4zLjQiLCJyaWQiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.forged",
    },
  );
  expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  await stack.flushAudit();
  const rows = await stack.runtimes.users.db.primary.auditEvent.findMany({ where: { requestId: "audit-e2e-1" } });
  expect(rows).toEqual([
    expect.objectContaining({ action: "SIGN_IN", outcome: "FAILURE", service: "users", clientIp: "198.51.100.23", actorId: null }),
  ]);
});

it("records an admin's offer archive and job retry, a moderator's decision and a report download, each once, with who and from where", async () => {
  const admin = await stack.login("admin@agora.test");
  const moderator = await stack.login("moderator@agora.test");
  const alice = await stack.login("alice@agora.test");
  const as = (token: string, ip: string) => ({ authorization: `Bearer ${token}`, "x-forwarded-for": ip });
  const listed = await stack.query(`{ offers(first: 1) { edges { node { id reviews(first: 1) { edges { node { id } } } } } } }`);
  const offer = listed.data.offers.edges[0].node;
  const reviewId = offer.reviews.edges[0].node.id as string;

  const archived = await post(
    stack.gatewayUrl,
    `mutation { archiveOffer(id: "${offer.id}") { status } }`,
    as(admin.accessToken, "198.51.100.1"),
  );
  expect(archived.body.errors).toBeUndefined();
  const moderated = await post(
    stack.gatewayUrl,
    `mutation { moderateReview(id: "${reviewId}", status: REJECTED) { moderationStatus } }`,
    as(moderator.accessToken, "198.51.100.2"),
  );
  expect(moderated.body.errors).toBeUndefined();

  const jobs = stack.runtimes.jobs.db.primary;
  const failed = await jobs.job.create({ data: { type: "NOOP", status: "FAILED", requestedBy: alice.userId, error: "boom", attempts: 3 } });
  const retried = await post(
    stack.gatewayUrl,
    `mutation { retryJob(id: "${failed.id}") { status } }`,
    as(admin.accessToken, "198.51.100.3"),
  );
  expect(retried.body.errors).toBeUndefined();

  const report = await jobs.job.create({ data: { type: "ANALYTICS_REPORT", status: "COMPLETED", requestedBy: alice.userId } });
  await mkdir(join(stack.storageDir, "reports"), { recursive: true });
  await writeFile(join(stack.storageDir, "reports", `${report.id}.csv`), "offer_id,views\n");
  const base = stack.gatewayUrl.replace(/\/graphql$/, "");
  const download = await fetch(`${base}/files/reports/${report.id}.csv`, { headers: as(alice.accessToken, "198.51.100.4") });
  expect(download.status).toBe(200);
  await download.text();
  // Someone else's report is a 404 and no event.
  const bob = await stack.login("bob@agora.test");
  expect((await fetch(`${base}/files/reports/${report.id}.csv`, { headers: as(bob.accessToken, "198.51.100.5") })).status).toBe(404);

  await stack.flushAudit();
  const events = await stack.runtimes.users.db.primary.auditEvent.findMany({
    where: { action: { in: ["OFFER_ARCHIVE", "REVIEW_MODERATION", "JOB_RETRY", "REPORT_DOWNLOAD"] } },
    orderBy: { occurredAt: "asc" },
  });
  expect(events.map((e) => [e.action, e.service, e.actorId, e.clientIp, e.targetType, e.targetId])).toEqual([
    ["OFFER_ARCHIVE", "offers", admin.userId, "198.51.100.1", "OFFER", offer.id],
    ["REVIEW_MODERATION", "reviews", moderator.userId, "198.51.100.2", "REVIEW", reviewId],
    ["JOB_RETRY", "jobs", admin.userId, "198.51.100.3", "JOB", failed.id],
    ["REPORT_DOWNLOAD", "jobs", alice.userId, "198.51.100.4", "JOB", report.id],
  ]);
  expect(events[1]!.details).toEqual({ status: "REJECTED" });
  expect(JSON.stringify(events)).not.toContain(alice.accessToken);
});

describe("refusals", () => {
  const prefix = () => `${stack.keyPrefix}refusals:`;
  let url: string;
  let stopGateway: () => Promise<void>;
  beforeAll(async () => {
    const started = await stack.startGateway({
      REDIS_KEY_PREFIX: prefix(),
      RATE_LIMIT_ENABLED: "true",
      RATE_LIMIT_ANONYMOUS: "2/3600s",
      OPERATION_MAX_DEPTH: "4",
      // One window for the whole test: its events are written when the gateway stops.
      AUDIT_REFUSAL_WINDOW_MS: "3600000",
    });
    url = started.url;
    stopGateway = () => started.gateway.stop();
  });

  it("are one event per client and budget or limit, with the count, however many there were", async () => {
    const cheap = `{ offers(first: 1) { totalCount } }`;
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++)
      codes.push((await post(url, cheap, { "x-forwarded-for": "203.0.113.81" })).body.errors?.[0]?.extensions?.code);
    for (let i = 0; i < 5; i++)
      codes.push((await post(url, cheap, { "x-forwarded-for": "203.0.113.82" })).body.errors?.[0]?.extensions?.code);
    const deep = `{ offers(first: 1) { edges { node { seller { offers(first: 1) { edges { node { title } } } } } } } }`;
    for (let i = 0; i < 3; i++)
      codes.push((await post(url, deep, { "x-forwarded-for": "203.0.113.83" })).body.errors?.[0]?.extensions?.code);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(8 + 3);
    // Refused before the rate limiter decides (they still cost a point each, and none ran out).
    expect(codes.filter((c) => c === "OPERATION_TOO_COMPLEX")).toHaveLength(3);

    await stopGateway();
    const redis = createRedis(testRedisUrl());
    const entries = await redis.xrange(auditStreamKey(prefix()), "-", "+");
    await redis.del(auditStreamKey(prefix()));
    redis.disconnect();
    const events = entries.map(([, fields]) => parseAuditStreamEntry(fields)).filter((e): e is AuditRecord => e !== null);
    const summary = events
      .map((e) => ({ action: e.action, clientIp: e.clientIp, targetId: e.targetId, count: e.details.count, service: e.service }))
      .sort((a, b) => String(a.clientIp).localeCompare(String(b.clientIp)));
    expect(summary).toEqual([
      { action: "RATE_LIMITED", clientIp: "203.0.113.81", targetId: "anonymous", count: 8, service: "gateway" },
      { action: "RATE_LIMITED", clientIp: "203.0.113.82", targetId: "anonymous", count: 3, service: "gateway" },
      { action: "OPERATION_REFUSED", clientIp: "203.0.113.83", targetId: "depth", count: 3, service: "gateway" },
    ]);
    for (const event of events) expect(event).toMatchObject({ outcome: "DENIED", actorId: null });
  });
});

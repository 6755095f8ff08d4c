/**
 * Analytics: events recorded on the request path (platform recordEvent) reach Postgres through a
 * worker, the roll-up is idempotent, and a report job writes a JSON summary and a CSV file.
 */
import { jest } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { analyticsStreamKey, recordEvent } from "@agora/platform/analytics";
import { createRedis } from "@agora/platform";
import { createHarness, freePort, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await createHarness("analytics");
  await h.startWorker({ WORKER_QUEUES: "analytics", ANALYTICS_BATCH_SIZE: "7" });
});
afterAll(async () => {
  await h.close();
});

const offerA = randomUUID();
const offerB = randomUUID();
const alice = randomUUID();
const bob = randomUUID();

it("drains recorded events from the Redis stream into analytics_events", async () => {
  const events = [
    ...Array.from({ length: 5 }, () => ({ type: "OFFER_VIEW" as const, offerId: offerA, userId: alice })),
    ...Array.from({ length: 3 }, () => ({ type: "OFFER_VIEW" as const, offerId: offerA, userId: bob })),
    { type: "OFFER_VIEW" as const, offerId: offerB },
    { type: "SEARCH" as const, offerId: offerB, userId: alice, query: "bike" },
    { type: "SEARCH" as const, query: "lamp" },
    // Not a UUID: kept as an event without an offer rather than failing the batch.
    { type: "OFFER_VIEW" as const, offerId: "offer-42" },
  ];
  for (const event of events) expect(recordEvent(h.redis, h.prefix, event)).toBeUndefined();
  await h.redis.xadd(analyticsStreamKey(h.prefix), "*", "type", "NONSENSE");

  const stored = await waitFor("all events in Postgres", async () => {
    const rows = await h.prisma.analyticsEvent.findMany();
    return rows.length === events.length ? rows : null;
  });
  expect(stored.filter((e) => e.offerId === offerA && e.type === "OFFER_VIEW")).toHaveLength(8);
  expect(stored.find((e) => e.query === "bike")).toMatchObject({ type: "SEARCH", offerId: offerB, userId: alice });
  expect(stored.filter((e) => e.offerId === null)).toHaveLength(2);
  // Everything read was acknowledged, the malformed entry included.
  await waitFor("no pending entries", async () => {
    const [pending] = (await h.redis.xpending(analyticsStreamKey(h.prefix), "analytics-workers")) as [number];
    return pending === 0;
  });
});

it("recordEvent neither throws nor waits when Redis is unreachable", async () => {
  const down = createRedis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null, lazyConnect: true });
  const errors: unknown[] = [];
  const started = Date.now();
  expect(recordEvent(down, h.prefix, { type: "OFFER_VIEW", offerId: offerA }, (error) => errors.push(error))).toBeUndefined();
  expect(Date.now() - started).toBeLessThan(50);
  await waitFor("the error to be reported", async () => errors.length > 0);
  down.disconnect();
});

it("rolls up daily stats idempotently", async () => {
  const stats = async () =>
    h.prisma.offerDailyStats.findMany({
      orderBy: { offerId: "asc" },
      select: { offerId: true, day: true, views: true, searchResults: true, uniqueViewers: true },
    });
  const first = await h.submit({ type: "ANALYTICS_ROLLUP" });
  expect((await h.waitForStatus(first.id, "COMPLETED")).result).toMatchObject({ rows: 2 });
  const once = await stats();
  const today = new Date(new Date().toISOString().slice(0, 10));
  expect(once).toEqual(
    expect.arrayContaining([
      { offerId: offerA, day: today, views: 8, searchResults: 0, uniqueViewers: 2 },
      { offerId: offerB, day: today, views: 1, searchResults: 1, uniqueViewers: 0 },
    ]),
  );
  const second = await h.submit({ type: "ANALYTICS_ROLLUP" });
  await h.waitForStatus(second.id, "COMPLETED");
  expect(await stats()).toEqual(once);
});

it("writes a report: totals and top offers in the result, every offer in a CSV file", async () => {
  const today = new Date().toISOString().slice(0, 10);
  const row = await h.submit({ type: "ANALYTICS_REPORT", input: { from: today, to: today } });
  const done = await h.waitForStatus(row.id, "COMPLETED");
  expect(done.result).toMatchObject({
    totals: { events: 12, views: 10, searches: 2, uniqueUsers: 2, offers: 2 },
    topOffers: [
      { offerId: offerA, views: 8, searchResults: 0, uniqueViewers: 2 },
      { offerId: offerB, views: 1, searchResults: 1, uniqueViewers: 0 },
    ],
    csvPath: `reports/${row.id}.csv`,
    rows: 2,
  });
  const csv = await readFile(join(h.storageDir, "reports", `${row.id}.csv`), "utf8");
  expect(csv.trim().split("\n")).toEqual(["offer_id,views,search_results,unique_viewers", `${offerA},8,0,2`, `${offerB},1,1,0`]);

  const backwards = await h.submit({ type: "ANALYTICS_REPORT", input: { from: "2026-02-01", to: "2026-01-01" } });
  expect(await h.waitForStatus(backwards.id, "FAILED")).toMatchObject({ attempts: 1, error: expect.stringMatching(/must be before/) });
});

it("scopes a seller's report to that seller's offers (the jobs service sets sellerId for non-admins)", async () => {
  const sellerId = randomUUID();
  await h.prisma.offer.create({
    data: {
      id: offerA,
      sellerId,
      title: "Lamp",
      description: "Brass",
      priceAmount: "10.00",
      currency: "EUR",
      category: "home",
      tags: [],
      lat: 0,
      lng: 0,
      status: "ACTIVE",
    },
  });
  const today = new Date().toISOString().slice(0, 10);
  const row = await h.submit({ type: "ANALYTICS_REPORT", input: { from: today, to: today, sellerId } });
  const done = await h.waitForStatus(row.id, "COMPLETED");
  expect(done.result).toMatchObject({ totals: { views: 8, offers: 1 }, topOffers: [{ offerId: offerA }], rows: 1 });
  const csv = await readFile(join(h.storageDir, "reports", `${row.id}.csv`), "utf8");
  expect(csv).not.toContain(offerB);
});

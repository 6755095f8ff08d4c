/**
 * The search-index queue in a real worker process: SEARCH_REINDEX jobs rebuild the search index
 * (Postgres here: REINDEX CONCURRENTLY and a rebuilt vocabulary) with progress on the row, and the
 * process applies the search outbox and reports its lag on GET /health.
 */
import { randomUUID } from "node:crypto";
import { jest } from "@jest/globals";
import { createHarness, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await createHarness("searchindex");
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.close();
});

const insertOffer = (title: string) =>
  h.prisma.offer.create({
    data: {
      sellerId: randomUUID(),
      title,
      description: "Seeded without the API, so not in the vocabulary yet",
      priceAmount: "10.00",
      currency: "EUR",
      category: "home",
      tags: [],
      lat: 0,
      lng: 0,
      status: "ACTIVE",
    },
  });

it("rebuilds the Postgres search index and vocabulary as a SEARCH_REINDEX job, progress up to 100", async () => {
  await insertOffer("Zeppelin model");
  await h.prisma.$executeRawUnsafe(`DELETE FROM offers.search_words WHERE word = 'stalewordthatnoofferhas' OR word = 'zeppelin'`);
  await h.prisma.$executeRawUnsafe(`INSERT INTO offers.search_words (word) VALUES ('stalewordthatnoofferhas')`);
  await h.startWorker({ WORKER_QUEUES: "search-index" });
  const row = await h.submit({ type: "SEARCH_REINDEX" });
  const done = await h.waitForStatus(row.id, "COMPLETED");
  expect(done.progress).toBe(100);
  expect(done.result).toMatchObject({ engine: "postgres", indexed: 1 });
  const words = await h.prisma.$queryRawUnsafe<{ word: string }[]>(`SELECT word FROM offers.search_words ORDER BY word`);
  expect(words.map((w) => w.word)).toContain("zeppelin");
  expect(words.map((w) => w.word)).not.toContain("stalewordthatnoofferhas");
});

it("applies the search outbox and reports the lag on /health", async () => {
  const offer = await insertOffer("Lag probe");
  await h.prisma.$executeRawUnsafe(`INSERT INTO offers.search_changes (offer_id) VALUES ('${offer.id}'::uuid)`);
  const worker = await h.startWorker({ WORKER_QUEUES: "search-index", SEARCH_OUTBOX_POLL_MS: "100" });
  const health = await waitFor("outbox applied", async () => {
    const body = (await (await fetch(worker.healthUrl)).json()) as {
      searchIndex: { pending: number; backend: string; applied: number } | null;
    };
    return body.searchIndex?.pending === 0 ? body : null;
  });
  expect(health.searchIndex).toMatchObject({ backend: "postgres", pending: 0, oldestMs: 0 });
  expect(health.searchIndex?.applied).toBeGreaterThanOrEqual(1);
});

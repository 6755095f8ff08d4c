/**
 * Starting a zero-downtime reindex: the reindexOffers mutation (admins) queues a SEARCH_REINDEX job
 * for the workers; `pnpm search:reindex` runs one at once with a progress bar. Searches answer
 * throughout (Postgres: REINDEX CONCURRENTLY).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { codes, startOffers, user, type OffersHarness } from "./harness.js";

const reindex = `mutation { reindexOffers { id } }`;
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
let offers: OffersHarness;
const seller = user();

beforeAll(async () => {
  offers = await startOffers("reindex");
  for (const title of ["Reindexed anvil", "Reindexed bellows", "Reindexed crucible"]) await offers.createOffer(seller, { title });
});
afterAll(async () => {
  await offers?.stop();
});

it("queues a SEARCH_REINDEX job for admins and returns it as a Job entity", async () => {
  const admin = user("ADMIN");
  const result = await offers.request(reindex, {}, admin);
  expect(result.errors).toBeUndefined();
  const id: string = result.data!.reindexOffers.id;
  const row = await offers.db.primary.job.findUniqueOrThrow({ where: { id } });
  // PENDING and not yet enqueued: the jobs service's outbox relay hands it to the search-index queue.
  expect(row).toMatchObject({ type: "SEARCH_REINDEX", status: "PENDING", requestedBy: admin.userId, enqueuedAt: null });
});

it("refuses everyone else and queues nothing", async () => {
  const before = await offers.db.primary.job.count();
  expect(codes(await offers.request(reindex, {}, seller))).toEqual(["FORBIDDEN"]);
  expect(codes(await offers.request(reindex, {}, user("MODERATOR")))).toEqual(["FORBIDDEN"]);
  expect(codes(await offers.request(reindex))).toEqual(["UNAUTHENTICATED"]);
  expect(await offers.db.primary.job.count()).toBe(before);
});

it("pnpm search:reindex rebuilds now, shows progress, and searches keep answering meanwhile", async () => {
  // Postgres search: whatever the machine running the tests has configured for Elasticsearch.
  const { ELASTICSEARCH_URL: _unused, ...env } = process.env;
  const run = promisify(execFile)(process.execPath, ["--import", "tsx", "subgraphs/offers/src/scripts/search-reindex.ts"], {
    cwd: repoRoot,
    env: { ...env, NODE_OPTIONS: "", DATABASE_URL: offers.databaseUrl },
  });
  // Searching while the rebuild runs (REINDEX CONCURRENTLY takes no lock that blocks reads).
  let answered = 0;
  let finished = false;
  void run.finally(() => (finished = true)).catch(() => undefined);
  while (!finished) {
    const result = await offers.request(`{ searchOffers(query: "reindexed") { totalCount } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data!.searchOffers.totalCount).toBe(3);
    answered++;
  }
  const { stdout, stderr } = await run;
  expect(stderr).toContain("Reindexing offers (postgres) 100% 3/3");
  expect(stdout).toMatch(/^Reindexed 3 offers in \d+\.\d s\.$/m);
  expect(answered).toBeGreaterThan(0);
});

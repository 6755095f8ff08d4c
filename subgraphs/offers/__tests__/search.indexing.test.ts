/**
 * Durable real-time indexing: every offer write leaves a change in the search outbox in its own
 * transaction; the search indexer applies it within 2 s (it reacts to the commit's notification),
 * and changes an indexer could not finish, because it was killed mid-bulk, are applied by the
 * next one. Postgres search reads the table itself; Elasticsearch is the mocked client here.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Client } from "@elastic/elasticsearch";
import ElasticsearchMock from "@elastic/elasticsearch-mock";
import { createLogger } from "@agora/platform";
import { createElasticsearchSearch } from "../src/search/elasticsearch-search.js";
import { createPostgresSearch } from "../src/search/postgres-search.js";
import { startSearchIndexer, type SearchIndexer } from "../src/search/search-indexer.js";
import { searchIndexLag } from "../src/search/search-outbox.js";
import { archiveOfferMutation, startOffers, updateOfferMutation, user, type OffersHarness } from "./harness.js";

const Mock = ((ElasticsearchMock as unknown as { default?: unknown }).default ?? ElasticsearchMock) as typeof ElasticsearchMock.default;
const silent = createLogger("offers-test", "silent");
const seller = user();
const alias = "agora-offers-indexing";

/** Polls until `probe` holds; fails after `deadlineMs` (the latency the API promises). */
async function within<T>(deadlineMs: number, what: string, probe: () => Promise<T | null | false | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const searchIds = async (offers: OffersHarness, query: string) => {
  const result = await offers.request(`query S($q: String) { searchOffers(query: $q) { edges { node { id } } } }`, { q: query });
  expect(result.errors).toBeUndefined();
  return result.data!.searchOffers.edges.map((e: any) => e.node.id as string);
};

describe("with the Postgres backend", () => {
  let offers: OffersHarness;
  let indexer: SearchIndexer;
  beforeAll(async () => {
    const backend = createPostgresSearch();
    offers = await startOffers("indexpg", { search: backend });
    indexer = await startSearchIndexer({
      db: offers.db.primary,
      databaseUrl: offers.databaseUrl,
      backend,
      log: silent,
      // Far longer than the deadline: what makes the 2 s is the commit's notification.
      pollMs: 60_000,
    });
  });
  afterAll(async () => {
    await indexer?.stop();
    await offers?.stop();
  });

  it("makes a published offer searchable and an archived one disappear within 2 s, and reports no lag after", async () => {
    const offer = await offers.createOffer(seller, { title: "Walnut bookshelf", description: "Five shelves.", tags: ["shelf"] });
    await within(2000, "published offer found", async () => (await searchIds(offers, "walnut bookshelf")).includes(offer.id));
    await within(2000, "outbox applied", async () => (await indexer.lag()).pending === 0);
    const updated = await offers.request(updateOfferMutation, { id: offer.id, input: { title: "Cherry bookshelf" } }, seller);
    expect(updated.errors).toBeUndefined();
    await within(2000, "updated offer found by its new title", async () => (await searchIds(offers, "cherry")).includes(offer.id));
    await offers.request(archiveOfferMutation, { id: offer.id }, seller);
    await within(2000, "archived offer gone", async () => !(await searchIds(offers, "bookshelf")).includes(offer.id));
    await within(2000, "outbox applied", async () => (await indexer.lag()).pending === 0);
    // create, publish, update, archive: one change each, none lost or applied twice.
    expect(indexer.applied()).toBe(4);
  });
});

describe("with Elasticsearch", () => {
  let offers: OffersHarness;
  const mock = new Mock();
  const Connection = mock.getConnection() as unknown as NonNullable<ConstructorParameters<typeof Client>[0]>["Connection"];
  const client = new Client({ node: "http://elasticsearch.invalid:9200", Connection, maxRetries: 0 });
  const backend = createElasticsearchSearch({ client, index: alias }, silent);
  let bulks: any[][] = [];
  const indexed = (id: string, status: string) =>
    bulks.some((ops) => ops.some((op, i) => op.index?._id === id && ops[i + 1]?.status === status));

  beforeAll(async () => {
    offers = await startOffers("indexes", { search: backend });
  });
  afterAll(async () => {
    await offers?.stop();
  });
  beforeEach(() => {
    bulks = [];
    mock.clearAll();
    mock.add({ method: "HEAD", path: `/${alias}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, (params: any) => {
      bulks.push(params.body);
      return {
        took: 1,
        errors: false,
        items: params.body.filter((op: any) => op.index || op.delete).map(() => ({ index: { status: 200 } })),
      };
    });
  });

  it("sends a published offer and its archiving to Elasticsearch within 2 s each", async () => {
    const indexer = await startSearchIndexer({
      db: offers.db.primary,
      databaseUrl: offers.databaseUrl,
      backend,
      log: silent,
      pollMs: 60_000,
    });
    try {
      const offer = await offers.createOffer(seller, { title: "Teak garden bench" });
      await within(2000, "published offer indexed", async () => indexed(offer.id, "ACTIVE"));
      await offers.request(archiveOfferMutation, { id: offer.id }, seller);
      await within(2000, "archived offer indexed as ARCHIVED", async () => indexed(offer.id, "ARCHIVED"));
      await within(2000, "no lag", async () => (await indexer.lag()).pending === 0);
    } finally {
      await indexer.stop();
    }
  });

  it("loses nothing when the indexer is killed in the middle of a bulk: the next indexer applies the same changes", async () => {
    // An Elasticsearch that takes every bulk and never answers: the indexer is stuck mid-bulk, its
    // outbox claim held in an open transaction.
    const received: string[] = [];
    const hanging: Server = createServer((req: IncomingMessage, res) => {
      res.setHeader("x-elastic-product", "Elasticsearch");
      res.setHeader("content-type", "application/json");
      if (req.method === "HEAD") return void res.end();
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        if (req.url?.startsWith("/_bulk")) received.push(body);
        else res.end("{}");
      });
    });
    hanging.listen(0, "127.0.0.1");
    await once(hanging, "listening");
    const created = [];
    for (const title of ["Killed lamp", "Killed rug", "Killed vase"]) created.push(await offers.createOffer(seller, { title }));
    const pending = (await searchIndexLag(offers.db.primary)).pending;
    expect(pending).toBeGreaterThanOrEqual(6);

    const script = fileURLToPath(new URL("./support/run-search-indexer.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        DATABASE_URL: offers.databaseUrl,
        ELASTICSEARCH_URL: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
        ELASTICSEARCH_INDEX: alias,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await within(30_000, "the first indexer sent its bulk", async () => received.length > 0);
      for (const offer of created) expect(received[0]).toContain(offer.id);
      child.kill("SIGKILL");
      await once(child, "exit");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      hanging.closeAllConnections();
      hanging.close();
    }
    // The claim died with the process: every change is still there.
    expect((await searchIndexLag(offers.db.primary)).pending).toBe(pending);

    const indexer = await startSearchIndexer({
      db: offers.db.primary,
      databaseUrl: offers.databaseUrl,
      backend,
      log: silent,
      pollMs: 60_000,
    });
    try {
      await indexer.drainNow();
      for (const offer of created) expect(indexed(offer.id, "ACTIVE")).toBe(true);
      expect(await indexer.lag()).toEqual({ pending: 0, oldestMs: 0 });
    } finally {
      await indexer.stop();
    }
  });
});

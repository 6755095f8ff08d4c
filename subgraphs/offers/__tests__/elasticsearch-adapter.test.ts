/**
 * The Elasticsearch adapter's requests, checked against @elastic/elasticsearch-mock: what it asks
 * Elasticsearch for, and what the API makes of the answers. The behaviour against a real cluster
 * is search.elasticsearch.test.ts (when ELASTICSEARCH_URL is set).
 */
import { randomUUID } from "node:crypto";
import { Client } from "@elastic/elasticsearch";
import ElasticsearchMock from "@elastic/elasticsearch-mock";
import { createLogger } from "@agora/platform";
import type { OfferRow } from "../src/data/offer.repository.js";
import { createSearchBackend } from "../src/search/create-search-backend.js";
import {
  createElasticsearchSearch,
  deleteOffer,
  offerMappings,
  reindexAll,
  type ElasticsearchTarget,
} from "../src/search/elasticsearch-search.js";
import { archiveOfferMutation, codes, createOfferMutation, startOffers, user, validInput, type OffersHarness } from "./harness.js";

// A CommonJS package typed with `export default`: TypeScript (NodeNext) sees the class as
// `.default`, Node's ESM loader hands over module.exports itself. Accept both.
const Mock = ((ElasticsearchMock as unknown as { default?: unknown }).default ?? ElasticsearchMock) as typeof ElasticsearchMock.default;

const index = "agora-offers-mocked";
const mock = new Mock();
// The mock is typed against the client's CommonJS declarations, the client here against its ESM ones.
const Connection = mock.getConnection() as unknown as NonNullable<ConstructorParameters<typeof Client>[0]>["Connection"];
const client = new Client({ node: "http://elasticsearch.invalid:9200", Connection, maxRetries: 0 });
const target: ElasticsearchTarget = { client, index };
const silent = createLogger("offers-test", "silent");
const backend = createElasticsearchSearch(target, silent);

interface Captured {
  method: string;
  path: string;
  querystring: Record<string, string>;
  body: any;
}
let requests: Captured[] = [];
const capture = (respond: (params: Captured) => Record<string, any> | string) => (params: any) => {
  requests.push({ method: params.method, path: params.path, querystring: params.querystring, body: params.body });
  return respond(params);
};

let offers: OffersHarness;
const seller = user();

beforeAll(async () => {
  offers = await startOffers("esadapter", { search: backend });
});
afterAll(async () => {
  await offers.stop();
  // No client.close(): the mock's connection has nothing to close (and refuses to).
});
beforeEach(() => {
  requests = [];
  mock.clearAll();
});

const searchQuery = `query Search($query: String!, $filter: OfferSearchFilter, $sort: OfferSearchSort, $first: Int, $after: String) {
  searchOffers(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount edges { cursor node { id title status } } pageInfo { hasNextPage hasPreviousPage }
  }
}`;

const insertOffer = (overrides: Partial<{ title: string; status: "DRAFT" | "ACTIVE" | "ARCHIVED"; createdAt: Date }> = {}) =>
  offers.db.primary.offer.create({
    data: {
      sellerId: seller.userId,
      title: overrides.title ?? "Mocked bike",
      description: "A bike that exists in Postgres",
      priceAmount: "129.90",
      currency: "EUR",
      category: "sports",
      tags: ["bike"],
      lat: 52.52,
      lng: 13.405,
      status: overrides.status ?? "ACTIVE",
      ...(overrides.createdAt ? { createdAt: overrides.createdAt } : {}),
    },
  });

describe("search", () => {
  it("sends a filtered, geo-sorted query and answers with the Postgres rows in Elasticsearch's order", async () => {
    const a = await insertOffer({ title: "Near bike" });
    const b = await insertOffer({ title: "Far bike" });
    const archived = await insertOffer({ title: "Archived meanwhile", status: "ARCHIVED" });
    mock.add(
      { method: "POST", path: `/${index}/_search` },
      capture(() => ({
        took: 1,
        timed_out: false,
        hits: {
          total: { value: 42, relation: "eq" },
          // A stale hit (archived since indexing) and one no longer in Postgres are dropped.
          hits: [a, archived, { id: randomUUID() }, b].map((o) => ({ _index: index, _id: o.id, _score: null })),
        },
      })),
    );

    const result = await offers.request(searchQuery, {
      query: "red bike",
      filter: {
        category: "sports",
        sellerId: seller.userId,
        priceMin: "10",
        priceMax: "500.5",
        near: { lat: 52.52, lng: 13.405, radiusKm: 25 },
      },
      sort: "DISTANCE",
      first: 3,
      after: Buffer.from(JSON.stringify(["s", 9])).toString("base64url"),
    });

    expect(result.errors).toBeUndefined();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toEqual({
      query: {
        bool: {
          must: [{ multi_match: { query: "red bike", fields: ["title", "description"], type: "cross_fields", operator: "and" } }],
          filter: [
            { term: { status: "ACTIVE" } },
            { term: { category: "sports" } },
            { term: { sellerId: seller.userId } },
            { range: { price: { gte: 10, lte: 500.5 } } },
            { geo_distance: { distance: "25km", location: { lat: 52.52, lon: 13.405 } } },
          ],
        },
      },
      sort: [
        { _geo_distance: { location: { lat: 52.52, lon: 13.405 }, order: "asc", unit: "km", distance_type: "arc" } },
        { createdAt: { order: "desc" } },
        { id: { order: "desc" } },
      ],
      from: 10,
      size: 4,
      track_total_hits: true,
      _source: false,
    });
    const connection = result.data!.searchOffers;
    expect(connection.edges.map((e: any) => e.node.title)).toEqual(["Near bike"]);
    expect(connection.totalCount).toBe(42);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
  });

  it("sorts by score then recency for RELEVANCE and leaves out absent filters", async () => {
    mock.add(
      { method: "POST", path: `/${index}/_search` },
      capture(() => ({ hits: { total: { value: 0, relation: "eq" }, hits: [] } })),
    );
    const result = await offers.request(searchQuery, { query: "lamp" });
    expect(result.data!.searchOffers).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } });
    expect(requests[0]!.body).toMatchObject({
      query: { bool: { filter: [{ term: { status: "ACTIVE" } }] } },
      sort: [{ _score: { order: "desc" } }, { createdAt: { order: "desc" } }, { id: { order: "desc" } }],
      from: 0,
      size: 21,
    });
  });

  it("answers SERVICE_UNAVAILABLE when Elasticsearch cannot be reached", async () => {
    const down = new Client({ node: "http://127.0.0.1:9", maxRetries: 0, requestTimeout: 2000 });
    const server = await startOffers("esdown", { search: createElasticsearchSearch({ client: down, index }, silent) });
    try {
      const result = await server.request(searchQuery, { query: "bike" });
      expect(codes(result)).toEqual(["SERVICE_UNAVAILABLE"]);
      expect(result.errors![0]!.message).toMatch(/Elasticsearch/);
    } finally {
      await server.stop();
      await down.close();
    }
  });
});

describe("indexing on writes", () => {
  it("indexes the committed offer after createOffer and again after a transition", async () => {
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add(
      { method: "PUT", path: `/${index}/_doc/:id` },
      capture(() => ({ result: "created", _id: "x", _index: index })),
    );
    const created = await offers.request(createOfferMutation, { input: validInput({ title: "Indexed lamp", category: "home" }) }, seller);
    expect(created.errors).toBeUndefined();
    const id = created.data!.createOffer.id;
    await backend.flush();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe(`/${index}/_doc/${id}`);
    // Versioned by updatedAt, so an older write racing a newer one cannot win.
    const row = await offers.db.primary.offer.findUniqueOrThrow({ where: { id } });
    expect(requests[0]!.querystring).toEqual({ version: String(row.updatedAt.getTime()), version_type: "external_gte" });
    expect(requests[0]!.body).toMatchObject({
      id,
      sellerId: seller.userId,
      title: "Indexed lamp",
      price: 450,
      currency: "EUR",
      category: "home",
      tags: ["bike", "road"],
      location: { lat: 52.52, lon: 13.405 },
      status: "DRAFT",
    });
    await offers.request(archiveOfferMutation, { id }, seller);
    await backend.flush();
    expect(requests[1]!.body).toMatchObject({ id, status: "ARCHIVED" });
  });

  it("never fails a mutation because Elasticsearch refused the write", async () => {
    // No route registered: the mock answers 404, the client throws, the adapter logs and moves on.
    const created = await offers.request(createOfferMutation, { input: validInput({ title: "Unindexed chair" }) }, seller);
    expect(created.errors).toBeUndefined();
    await backend.flush();
    expect(await offers.db.primary.offer.count({ where: { id: created.data!.createOffer.id } })).toBe(1);
  });

  it("deletes by id and tolerates a missing document", async () => {
    mock.add(
      { method: "DELETE", path: `/${index}/_doc/:id` },
      capture(() => ({ result: "not_found" })),
    );
    const id = randomUUID();
    await expect(deleteOffer(target, id)).resolves.toBeUndefined();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE /${index}/_doc/${id}`]);
  });
});

describe("reindexAll", () => {
  it("creates a missing index with the geo_point mapping, then bulk-indexes every offer in batches", async () => {
    await offers.db.primary.offer.deleteMany();
    const rows: OfferRow[] = [];
    for (let i = 0; i < 5; i++) rows.push(await insertOffer({ title: `Reindexed ${i}`, status: i === 4 ? "DRAFT" : "ACTIVE" }));
    rows.sort((x, y) => (x.id < y.id ? -1 : 1));
    // No HEAD route: the mock answers 404, so the index counts as missing and is created.
    mock.add(
      { method: "PUT", path: `/${index}` },
      capture(() => ({ acknowledged: true, index })),
    );
    mock.add(
      { method: "POST", path: "/_bulk" },
      capture((params) => ({
        took: 1,
        errors: false,
        items: params.body.filter((_: unknown, i: number) => i % 2 === 0).map(() => ({ index: { status: 201 } })),
      })),
    );

    const progress: number[] = [];
    const result = await reindexAll(target, offers.db.primary, { batchSize: 2, onBatch: (n) => void progress.push(n) });

    expect(result).toEqual({ indexed: 5 });
    expect(progress).toEqual([2, 4, 5]);
    const create = requests.find((r) => r.method === "PUT" && r.path === `/${index}`)!;
    expect(create.body).toEqual({ mappings: offerMappings });
    expect(create.body.mappings.properties.location).toEqual({ type: "geo_point" });
    const bulks = requests.filter((r) => r.path === "/_bulk");
    expect(bulks).toHaveLength(3);
    const version = (row: OfferRow) => ({ version: row.updatedAt.getTime(), version_type: "external_gte" });
    expect(bulks[0]!.body).toEqual([
      { index: { _index: index, _id: rows[0]!.id, ...version(rows[0]!) } },
      {
        id: rows[0]!.id,
        sellerId: seller.userId,
        title: rows[0]!.title,
        description: "A bike that exists in Postgres",
        price: 129.9,
        currency: "EUR",
        category: "sports",
        tags: ["bike"],
        location: { lat: 52.52, lon: 13.405 },
        status: rows[0]!.status,
        createdAt: rows[0]!.createdAt.toISOString(),
        updatedAt: rows[0]!.updatedAt.toISOString(),
      },
      { index: { _index: index, _id: rows[1]!.id, ...version(rows[1]!) } },
      expect.objectContaining({ id: rows[1]!.id }),
    ]);
    const indexedIds = bulks.flatMap((b) => b.body.filter((_: unknown, i: number) => i % 2 === 0).map((op: any) => op.index._id));
    expect(indexedIds).toEqual(rows.map((r) => r.id));
  });

  const conflict = (id: string) => ({
    index: {
      _id: id,
      status: 409,
      error: { type: "version_conflict_engine_exception", reason: "version conflict, current version is higher" },
    },
  });

  it("accepts version conflicts: the index already holds a newer version", async () => {
    await offers.db.primary.offer.deleteMany();
    const row = await insertOffer({ title: "Newer in the index" });
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, () => ({ took: 1, errors: true, items: [conflict(row.id)] }));
    await expect(reindexAll(target, offers.db.primary)).resolves.toEqual({ indexed: 1 });
  });

  it("fails naming the first document Elasticsearch rejected", async () => {
    await offers.db.primary.offer.deleteMany();
    const newer = await insertOffer({ title: "Newer in the index" });
    const row = await insertOffer({ title: "Rejected" });
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, () => ({
      took: 1,
      errors: true,
      items: [
        conflict(newer.id),
        { index: { _id: row.id, status: 400, error: { type: "mapper_parsing_exception", reason: "failed to parse field [location]" } } },
      ],
    }));
    await expect(reindexAll(target, offers.db.primary)).rejects.toThrow(
      `Elasticsearch rejected offer ${row.id}: failed to parse field [location]`,
    );
  });
});

describe("backend selection", () => {
  const config = { ELASTICSEARCH_INDEX: "agora-offers", ELASTICSEARCH_REQUEST_TIMEOUT_MS: 1000 };
  it("uses Postgres without ELASTICSEARCH_URL and Elasticsearch with it, even while it is down", async () => {
    expect(createSearchBackend(config, silent).name).toBe("postgres");
    const es = createSearchBackend({ ...config, ELASTICSEARCH_URL: "http://127.0.0.1:9" }, silent);
    expect(es.name).toBe("elasticsearch");
    await es.close();
  });
});

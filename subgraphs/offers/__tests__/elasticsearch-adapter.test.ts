/**
 * The Elasticsearch adapter's requests, checked against @elastic/elasticsearch-mock: what it asks
 * Elasticsearch for, and what the API makes of the answers. The behaviour against a real cluster
 * is search.elasticsearch.test.ts (when ELASTICSEARCH_URL is set).
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { Client } from "@elastic/elasticsearch";
import type * as esm from "@elastic/elasticsearch";
import ElasticsearchMock from "@elastic/elasticsearch-mock";
import { createLogger } from "@agora/platform";
import type { OfferRow } from "../src/data/offer.repository.js";
import { createSearchBackend } from "../src/search/create-search-backend.js";
import type { ElasticsearchTarget } from "../src/search/elasticsearch-client.js";
import { bulkIndex, ensureIndex, rebuildIndex } from "../src/search/elasticsearch-index.js";
import { offerMappings, offerSettings } from "../src/search/elasticsearch-mapping.js";
import { createElasticsearchSearch } from "../src/search/elasticsearch-search.js";
import { drainSearchChanges, searchIndexLag } from "../src/search/search-outbox.js";
import { codes, createOfferMutation, publishOfferMutation, startOffers, user, validInput, type OffersHarness } from "./harness.js";

// A CommonJS package typed with `export default`: TypeScript (NodeNext) sees the class as
// `.default`, Node's ESM loader hands over module.exports itself. Accept both.
const Mock = ((ElasticsearchMock as unknown as { default?: unknown }).default ?? ElasticsearchMock) as typeof ElasticsearchMock.default;

// The mock recognises error answers by `instanceof` against the CommonJS build of the client it
// loads itself, not the ESM build imported here: build them from that copy.
const requireFromMock = createRequire(createRequire(import.meta.url).resolve("@elastic/elasticsearch-mock"));
const { errors } = requireFromMock("@elastic/elasticsearch") as { errors: typeof esm.errors };
const responseError = (statusCode: number, body: Record<string, unknown>) =>
  new errors.ResponseError({ body, statusCode, headers: {}, warnings: [], meta: {} as never });

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

const searchQuery = `query Search($query: String, $filter: OfferSearchFilter, $sort: OfferSearchSort, $first: Int, $after: String) {
  searchOffers(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount edges { cursor node { id title status } highlight { title description tags } distanceKm }
    pageInfo { hasNextPage hasPreviousPage endCursor }
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

const searchResponse = (hits: Record<string, unknown>[], total = hits.length) => ({
  took: 1,
  timed_out: false,
  pit_id: "pit-2",
  hits: { total: { value: total, relation: "eq" }, hits },
});

const hitOf = (row: OfferRow, sort: unknown[], extra: Record<string, unknown> = {}) => ({
  _index: `${index}-v1`,
  _id: row.id,
  _score: null,
  _source: { title: row.title, location: { lat: row.lat, lon: row.lng } },
  sort,
  ...extra,
});

const routes = (extra: () => void = () => {}) => {
  mock.add(
    { method: "POST", path: `/${index}/_pit` },
    capture(() => ({ id: "pit-1" })),
  );
  extra();
};

describe("the index", () => {
  it("is created with explicit analyzers and a strict mapping, as a versioned index behind the alias", async () => {
    // No HEAD route: the mock answers 404, so the alias counts as missing.
    mock.add(
      { method: "PUT", path: "/:name" },
      capture(() => ({ acknowledged: true })),
    );
    await ensureIndex(target);
    const [create] = requests;
    expect(create!.path).toMatch(new RegExp(`^/${index}-v\\d{13}$`));
    expect(create!.body).toEqual({ settings: offerSettings, mappings: offerMappings, aliases: { [index]: { is_write_index: true } } });
    expect(create!.body.mappings.dynamic).toBe("strict");
    expect(create!.body.mappings.properties.location).toEqual({ type: "geo_point" });
    expect(create!.body.mappings.properties.title).toEqual({ type: "text", analyzer: "offer_text", copy_to: ["words"] });
    expect(create!.body.settings.analysis.analyzer.offer_text.filter).toEqual([
      "english_possessive_stemmer",
      "lowercase",
      "asciifolding",
      "english_stop",
      "english_stemmer",
    ]);
  });

  it("is left alone when the alias exists", async () => {
    mock.add(
      { method: "HEAD", path: `/${index}` },
      capture(() => ""),
    );
    await ensureIndex(target);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`HEAD /${index}`]);
  });
});

describe("search", () => {
  it("reads the first page from a new point in time: fuzzy words, filters, geo sort, highlights", async () => {
    const near = await insertOffer({ title: "Near <bike>" });
    const far = await insertOffer({ title: "Far bike" });
    const archived = await insertOffer({ title: "Archived meanwhile", status: "ARCHIVED" });
    routes(() =>
      mock.add(
        { method: "POST", path: "/_search" },
        capture(() =>
          searchResponse(
            [
              hitOf(near, [0.5, near.createdAt.getTime(), near.id], {
                highlight: { title: ["Near &lt;\u0002bike\u0003&gt;"], "tags.text": ["\u0002bike\u0003"] },
              }),
              // A stale hit (archived since indexing) and one no longer in Postgres are dropped.
              hitOf(archived, [1, archived.createdAt.getTime(), archived.id]),
              { _index: index, _id: randomUUID(), sort: [2, 0, randomUUID()] },
              hitOf(far, [12.25, far.createdAt.getTime(), far.id], { highlight: { description: ["a \u0002bike\u0003 that", "more"] } }),
              // The one beyond the page: there is a next page.
              { _index: index, _id: randomUUID(), sort: [20, 0, randomUUID()] },
            ],
            42,
          ),
        ),
      ),
    );
    const result = await offers.request(searchQuery, {
      query: 'red "mountain bike" -helmet',
      filter: {
        category: "sports",
        sellerId: seller.userId,
        priceMin: "10",
        priceMax: "500.5",
        near: { lat: 52.52, lng: 13.405, radiusKm: 25 },
      },
      sort: "DISTANCE",
      first: 4,
    });
    expect(result.errors).toBeUndefined();
    const pit = requests.find((r) => r.path === `/${index}/_pit`)!;
    expect(pit.querystring).toEqual({ keep_alive: "2m" });
    const search = requests.find((r) => r.path === "/_search")!;
    const textFields = ["title^3", "tags.text^2", "description"];
    expect(search.body).toEqual({
      pit: { id: "pit-1", keep_alive: "2m" },
      query: {
        bool: {
          must: [
            {
              bool: {
                should: [
                  {
                    bool: {
                      should: [
                        {
                          bool: {
                            must: [
                              { multi_match: { query: "red", fields: textFields, type: "best_fields" } },
                              { multi_match: { query: "mountain bike", fields: textFields, type: "phrase" } },
                            ],
                          },
                        },
                      ],
                      minimum_should_match: 1,
                      boost: 2,
                    },
                  },
                  {
                    bool: {
                      must: ["red", "mountain", "bike"].map((word) => ({
                        multi_match: {
                          query: word,
                          fields: textFields,
                          type: "best_fields",
                          fuzziness: "AUTO",
                          prefix_length: 0,
                          max_expansions: 50,
                        },
                      })),
                    },
                  },
                ],
                minimum_should_match: 1,
                must_not: [{ multi_match: { query: "helmet", fields: textFields, type: "best_fields" } }],
              },
            },
          ],
          filter: [
            { terms: { status: ["ACTIVE"] } },
            { term: { category: "sports" } },
            { term: { sellerId: seller.userId } },
            { range: { price: { gte: 10, lte: 500.5 } } },
            { geo_distance: { distance: "25km", distance_type: "arc", location: { lat: 52.52, lon: 13.405 } } },
          ],
        },
      },
      sort: [
        { _geo_distance: { location: { lat: 52.52, lon: 13.405 }, order: "asc", unit: "km", distance_type: "arc" } },
        { createdAt: { order: "desc" } },
        { id: { order: "desc" } },
      ],
      size: 5,
      track_total_hits: true,
      _source: ["title", "location"],
      highlight: {
        pre_tags: ["\u0002"],
        post_tags: ["\u0003"],
        encoder: "default",
        require_field_match: true,
        fields: {
          title: { number_of_fragments: 0 },
          description: { fragment_size: 150, number_of_fragments: 2, no_match_size: 150 },
          "tags.text": { number_of_fragments: 0 },
        },
      },
    });
    // No query syntax of the user's ever reaches Elasticsearch.
    expect(JSON.stringify(search.body)).not.toMatch(/query_string/);

    const page = result.data!.searchOffers;
    expect(page.totalCount).toBe(42);
    expect(page.edges.map((e: any) => e.node.id)).toEqual([near.id, far.id]);
    expect(page.edges[0].highlight).toEqual({
      title: "Near &amp;lt;<mark>bike</mark>&amp;gt;",
      description: "",
      tags: ["<mark>bike</mark>"],
    });
    expect(page.edges[1].highlight).toEqual({ title: "Far bike", description: "a <mark>bike</mark> that … more", tags: [] });
    expect(page.edges[0].distanceKm).toBe(0);
    expect(page.pageInfo.hasNextPage).toBe(true);

    // The next page: the same point in time (as Elasticsearch last named it), search_after the last hit.
    requests = [];
    const second = await offers.request(searchQuery, {
      query: 'red "mountain bike" -helmet',
      filter: {
        category: "sports",
        sellerId: seller.userId,
        priceMin: "10",
        priceMax: "500.5",
        near: { lat: 52.52, lng: 13.405, radiusKm: 25 },
      },
      sort: "DISTANCE",
      first: 4,
      after: page.pageInfo.endCursor,
    });
    expect(second.errors).toBeUndefined();
    expect(requests.map((r) => r.path)).toEqual(["/_search"]);
    expect(requests[0]!.body.pit).toEqual({ id: "pit-2", keep_alive: "2m" });
    expect(requests[0]!.body.search_after).toEqual([12.25, far.createdAt.getTime(), far.id]);
  });

  it("continues in a new point in time when the cursor's has expired", async () => {
    const row = await insertOffer({ title: "Patient bike" });
    let calls = 0;
    routes(() =>
      mock.add(
        { method: "POST", path: "/_search" },
        capture((params) => {
          calls++;
          if (params.body.pit.id === "expired")
            return responseError(404, { error: { type: "search_context_missing_exception" }, status: 404 });
          return searchResponse([hitOf(row, ["129.90", row.createdAt.getTime(), row.id])]);
        }),
      ),
    );
    const first = await offers.request(searchQuery, { query: "bike", sort: "PRICE_ASC", first: 1 });
    const cursor: string = first.data!.searchOffers.pageInfo.endCursor;
    const [tag, payload] = cursor.split(".");
    const body = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
    body.p = "expired";
    requests = [];
    const again = await offers.request(searchQuery, {
      query: "bike",
      sort: "PRICE_ASC",
      first: 1,
      after: `${tag}.${Buffer.from(JSON.stringify(body)).toString("base64url")}`,
    });
    expect(again.errors?.map((e) => e.message)).toBeUndefined();
    expect(requests.map((r) => `${r.path} ${r.body?.pit?.id ?? ""}`)).toEqual(["/_search expired", `/${index}/_pit `, "/_search pit-1"]);
    expect(requests[2]!.body.search_after).toEqual([129.9, row.createdAt.getTime(), row.id]);
    expect(calls).toBe(3);
  });

  it("asks for facets as range and terms aggregations with the Postgres backend's edges", async () => {
    routes(() => {
      mock.add({ method: "POST", path: "/_search" }, () => searchResponse([]));
      mock.add(
        { method: "POST", path: `/${index}/_search` },
        capture(() => ({
          hits: { total: { value: 3, relation: "eq" }, hits: [] },
          aggregations: {
            categories: {
              buckets: [
                { key: "toys", doc_count: 1 },
                { key: "sports", doc_count: 2 },
              ],
            },
            price: {
              buckets: [
                { key: "*-10.0", doc_count: 0 },
                { key: "10.0-25.0", doc_count: 3 },
              ],
            },
            distance: {
              buckets: [
                { key: "*-1.0", doc_count: 2 },
                { key: "1.0-2.0", doc_count: 0 },
                { key: "2.0-*", doc_count: 1 },
              ],
            },
          },
        })),
      );
    });
    const result = await offers.request(
      `{ searchOffers(query: "bike", filter: { near: { lat: 1, lng: 2, radiusKm: 3 } }) {
          facets { categories { category count } price { min max count } distance { fromKm toKm count } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.searchOffers.facets).toEqual({
      categories: [
        { category: "sports", count: 2 },
        { category: "toys", count: 1 },
      ],
      price: [{ min: "10.00", max: "25.00", count: 3 }],
      distance: [
        { fromKm: 0, toKm: 1, count: 2 },
        { fromKm: 2, toKm: 3, count: 1 },
      ],
    });
    const facets = requests.find((r) => r.path === `/${index}/_search`)!;
    expect(facets.body.size).toBe(0);
    expect(facets.body.aggregations).toEqual({
      categories: { terms: { field: "category", size: 100 } },
      price: {
        range: {
          field: "price",
          ranges: [
            { to: 10 },
            { from: 10, to: 25 },
            { from: 25, to: 50 },
            { from: 50, to: 100 },
            { from: 100, to: 250 },
            { from: 250, to: 500 },
            { from: 500, to: 1000 },
            { from: 1000, to: 2500 },
            { from: 2500, to: 5000 },
            { from: 5000 },
          ],
        },
      },
      distance: {
        geo_distance: {
          field: "location",
          origin: { lat: 1, lon: 2 },
          unit: "km",
          distance_type: "arc",
          ranges: [{ to: 1 }, { from: 1, to: 2 }, { from: 2 }],
        },
      },
    });
  });

  it("suggests from the term suggester only what finds something", async () => {
    let count = 1;
    routes(() => {
      mock.add({ method: "POST", path: "/_search" }, () => searchResponse([], 0));
      mock.add(
        { method: "POST", path: `/${index}/_search` },
        capture(() => ({
          hits: { total: { value: 0, relation: "eq" }, hits: [] },
          suggest: {
            words: [
              { text: "red", offset: 0, length: 3, options: [] },
              { text: "bkei", offset: 4, length: 4, options: [{ text: "bike", score: 0.5, freq: 9 }] },
            ],
          },
        })),
      );
      mock.add(
        { method: "POST", path: `/${index}/_count` },
        capture(() => ({ count })),
      );
    });
    const ask = () => offers.request(`{ searchOffers(query: "red bkei") { totalCount suggestion } }`);
    expect((await ask()).data!.searchOffers).toEqual({ totalCount: 0, suggestion: "red bike" });
    const suggest = requests.find((r) => r.path === `/${index}/_search`)!;
    expect(suggest.body.suggest).toEqual({
      words: { text: "red bkei", term: { field: "words", suggest_mode: "missing", max_edits: 2, sort: "score" } },
    });
    expect(JSON.stringify(requests.find((r) => r.path === `/${index}/_count`)!.body)).toContain('"query":"bike"');
    count = 0;
    expect((await ask()).data!.searchOffers).toEqual({ totalCount: 0, suggestion: null });
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

const bulkOk = capture((params) => ({
  took: 1,
  errors: false,
  items: params.body.filter((op: any) => op.index || op.delete).map(() => ({ index: { status: 201 } })),
}));
const version = (row: OfferRow) => ({ version: row.updatedAt.getTime(), version_type: "external_gte" });

describe("indexing through the outbox", () => {
  it("applies committed writes in one bulk, versioned by updatedAt, each offer once in its latest state", async () => {
    await drainSearchChanges(offers.db.primary, async () => {});
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, bulkOk);
    const created = await offers.request(createOfferMutation, { input: validInput({ title: "Indexed lamp", category: "home" }) }, seller);
    expect(created.errors).toBeUndefined();
    const id = created.data!.createOffer.id;
    await offers.request(publishOfferMutation, { id }, seller);
    const other = await offers.request(createOfferMutation, { input: validInput({ title: "Other lamp", category: "home" }) }, seller);
    expect((await searchIndexLag(offers.db.primary)).pending).toBe(3);

    // Nothing reached Elasticsearch on the request path.
    expect(requests.filter((r) => r.path === "/_bulk")).toEqual([]);
    const applied = await drainSearchChanges(offers.db.primary, (changed, removed) => backend.applyChanges(changed, removed));
    expect(applied).toBe(3);
    const bulks = requests.filter((r) => r.path === "/_bulk");
    expect(bulks).toHaveLength(1);
    const row = await offers.db.primary.offer.findUniqueOrThrow({ where: { id } });
    const ops = bulks[0]!.body;
    expect(ops).toHaveLength(4);
    const at = ops.findIndex((op: any) => op.index?._id === id);
    expect(ops[at]).toEqual({ index: { _index: index, _id: id, ...version(row) } });
    expect(ops[at + 1]).toMatchObject({ id, title: "Indexed lamp", status: "ACTIVE", price: 450, location: { lat: 52.52, lon: 13.405 } });
    expect(ops.some((op: any) => op.index?._id === other.data!.createOffer.id)).toBe(true);
    expect(await searchIndexLag(offers.db.primary)).toEqual({ pending: 0, oldestMs: 0 });
  });

  it("keeps the changes in the outbox when Elasticsearch refuses them, and applies them on the next pass", async () => {
    await drainSearchChanges(offers.db.primary, async () => {});
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, () => ({
      took: 1,
      errors: true,
      items: [
        { index: { _id: "x", status: 400, error: { type: "mapper_parsing_exception", reason: "failed to parse field [location]" } } },
      ],
    }));
    const created = await offers.request(createOfferMutation, { input: validInput({ title: "Refused chair" }) }, seller);
    expect(created.errors).toBeUndefined();
    await expect(drainSearchChanges(offers.db.primary, (changed, removed) => backend.applyChanges(changed, removed))).rejects.toThrow(
      "Elasticsearch rejected offer x (index): failed to parse field [location]",
    );
    expect((await searchIndexLag(offers.db.primary)).pending).toBe(1);
    mock.clearAll();
    mock.add({ method: "HEAD", path: `/${index}` }, () => "");
    mock.add({ method: "POST", path: "/_bulk" }, bulkOk);
    expect(await drainSearchChanges(offers.db.primary, (changed, removed) => backend.applyChanges(changed, removed))).toBe(1);
    expect((await searchIndexLag(offers.db.primary)).pending).toBe(0);
  });

  it("deletes offers that no longer exist, and accepts version conflicts and missing documents", async () => {
    const row = await insertOffer({ title: "Newer in the index" });
    const gone = randomUUID();
    mock.add(
      { method: "POST", path: "/_bulk" },
      capture(() => ({
        took: 1,
        errors: true,
        items: [
          {
            index: { _id: row.id, status: 409, error: { type: "version_conflict_engine_exception", reason: "current version is higher" } },
          },
          { delete: { _id: gone, status: 404, result: "not_found" } },
        ],
      })),
    );
    await expect(bulkIndex(target, index, [row], [gone])).resolves.toBeUndefined();
    expect(requests[0]!.body).toEqual([
      { index: { _index: index, _id: row.id, ...version(row) } },
      expect.objectContaining({ id: row.id }),
      { delete: { _index: index, _id: gone } },
    ]);
  });
});

describe("zero-downtime reindex", () => {
  const reindexRoutes = (old: string[], bulk: Parameters<typeof mock.add>[1] = bulkOk) => {
    mock.add(
      { method: "PUT", path: "/:name" },
      capture(() => ({ acknowledged: true })),
    );
    mock.add({ method: "POST", path: "/_bulk" }, bulk);
    mock.add(
      { method: "PUT", path: "/:name/_settings" },
      capture(() => ({ acknowledged: true })),
    );
    mock.add(
      { method: ["GET", "POST"], path: "/:name/_refresh" },
      capture(() => ({ _shards: { total: 1, successful: 1, failed: 0 } })),
    );
    mock.add(
      { method: "HEAD", path: `/_alias/${index}` },
      capture(() => (old.length ? "" : responseError(404, {}))),
    );
    mock.add(
      { method: "GET", path: `/_alias/${index}` },
      capture(() => Object.fromEntries(old.map((name) => [name, { aliases: { [index]: {} } }]))),
    );
    mock.add(
      { method: "POST", path: "/_aliases" },
      capture(() => ({ acknowledged: true })),
    );
    mock.add(
      { method: "DELETE", path: "/:name" },
      capture(() => ({ acknowledged: true })),
    );
  };

  it("builds a new index from Postgres with progress, catches up, swaps the alias atomically and drops the old index", async () => {
    await offers.db.primary.offer.deleteMany();
    const rows: OfferRow[] = [];
    for (let i = 0; i < 5; i++) rows.push(await insertOffer({ title: `Reindexed ${i}`, status: i === 4 ? "DRAFT" : "ACTIVE" }));
    rows.sort((x, y) => (x.id < y.id ? -1 : 1));
    reindexRoutes([`${index}-v1`]);

    const progress: [number, number][] = [];
    const result = await rebuildIndex(target, offers.db.primary, {
      batchSize: 2,
      onProgress: (p) => void progress.push([p.indexed, p.total]),
    });

    expect(result).toMatchObject({ engine: "elasticsearch", indexed: 5 });
    expect(result.index).toMatch(new RegExp(`^${index}-v\\d{13}$`));
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
      [5, 5],
    ]);
    const calls = requests.map((r) => `${r.method} ${r.path.replace(result.index!, "NEW")}`);
    // Fill, catch up (the rows just written count as written during the build), settle, swap, catch up, drop.
    expect(calls.slice(0, 4)).toEqual(["PUT /NEW", "POST /_bulk", "POST /_bulk", "POST /_bulk"]);
    const swapAt = calls.indexOf("POST /_aliases");
    expect(calls.slice(swapAt - 4, swapAt + 1)).toEqual([
      "PUT /NEW/_settings",
      "GET /NEW/_refresh",
      `HEAD /_alias/${index}`,
      `GET /_alias/${index}`,
      "POST /_aliases",
    ]);
    const create = requests[0]!;
    expect(create.body.settings.refresh_interval).toBe("-1");
    expect(create.body.mappings).toEqual(offerMappings);
    const swap = requests.find((r) => r.path === "/_aliases")!;
    expect(swap.body).toEqual({
      actions: [{ remove: { index: `${index}-v1`, alias: index } }, { add: { index: result.index, alias: index, is_write_index: true } }],
    });
    expect(calls.at(-1)).toBe(`DELETE /${index}-v1`);
    const copied = requests
      .filter((r) => r.path === "/_bulk")
      .slice(0, 3)
      .flatMap((b) => b.body.filter((op: any) => op.index).map((op: any) => op.index._id));
    expect(copied).toEqual(rows.map((r) => r.id));
    // Writes during the build: every offer written since the start went to the new index again.
    const caughtUp = requests.filter((r) => r.path === "/_bulk").slice(3);
    expect(caughtUp.length).toBeGreaterThan(0);
    expect(result.caughtUp).toBeGreaterThanOrEqual(5);
  });

  it("moves an old plain index behind the alias in the same atomic swap", async () => {
    await offers.db.primary.offer.deleteMany();
    await insertOffer({ title: "Legacy" });
    reindexRoutes([]);
    mock.add(
      { method: "HEAD", path: `/${index}` },
      capture(() => ""),
    );
    const result = await rebuildIndex(target, offers.db.primary);
    const swap = requests.find((r) => r.path === "/_aliases")!;
    expect(swap.body.actions).toEqual([{ remove_index: { index } }, { add: { index: result.index, alias: index, is_write_index: true } }]);
  });

  it("leaves the serving index alone and drops the half-built one when the build fails", async () => {
    await offers.db.primary.offer.deleteMany();
    await insertOffer({ title: "Rejected" });
    reindexRoutes([`${index}-v1`], () => ({
      took: 1,
      errors: true,
      items: [{ index: { _id: "x", status: 400, error: { type: "mapper_parsing_exception", reason: "bad" } } }],
    }));
    await expect(rebuildIndex(target, offers.db.primary)).rejects.toThrow("Elasticsearch rejected offer x");
    const calls = requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.some((c) => c === "POST /_aliases")).toBe(false);
    const created = requests[0]!.path;
    expect(calls.at(-1)).toBe(`DELETE ${created}`);
    expect(created).not.toBe(`/${index}-v1`);
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

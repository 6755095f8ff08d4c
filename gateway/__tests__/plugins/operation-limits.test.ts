/**
 * Every operation limit refuses in one round trip with OPERATION_TOO_COMPLEX, a message naming the
 * limit and the value found, and nothing executed: the stand-in subgraphs count zero calls.
 */
import { startStubGateway, type StubGateway } from "../support/stub-gateway.js";

let gw: StubGateway;
beforeAll(async () => {
  gw = await startStubGateway({
    OPERATION_MAX_DEPTH: "6",
    OPERATION_MAX_ALIASES: "15",
    OPERATION_MAX_ROOT_FIELDS: "10",
    OPERATION_MAX_DIRECTIVES: "50",
    OPERATION_MAX_TOKENS: "1000",
    OPERATION_MAX_COST: "5000",
  });
});
afterAll(() => gw.stop());

/** Sends `query` and expects a refusal by `limit` that called no subgraph. */
async function expectRefused(query: string, limit: string, variables?: Record<string, unknown>) {
  const before = gw.subgraphCalls();
  const { status, body } = await gw.post({ query, variables });
  expect(status).toBe(400);
  expect(body.data).toBeUndefined();
  const refusal = body.errors.find((e: any) => e.extensions?.limit === limit);
  expect(refusal?.extensions.code).toBe("OPERATION_TOO_COMPLEX");
  expect(gw.subgraphCalls()).toBe(before);
  return refusal as { message: string; extensions: { maximum: number; found: number | null } };
}

describe("operation limits", () => {
  it("lets an operation within every limit through to the subgraphs", async () => {
    const before = gw.subgraphCalls();
    const { status } = await gw.post({ query: `{ offers(first: 5) { edges { node { title seller { displayName } } } } }` });
    expect(status).toBe(200);
    expect(gw.subgraphCalls()).toBeGreaterThan(before);
  });

  it("depth 7 where the limit is 6", async () => {
    // offers › edges › node › seller › offers › totalCount is 6 deep; one more level is 7.
    await gw
      .post({ query: `{ offers(first: 1) { edges { node { seller { offers(first: 1) { totalCount } } } } } }` })
      .then((r) => expect(r.status).toBe(200));
    const refusal = await expectRefused(
      `{ offers(first: 1) { edges { node { seller { offers(first: 1) { edges { cursor } } } } } } }`,
      "depth",
    );
    expect(refusal.message).toBe("Operation too complex: its depth is 7, above the limit of 6 (OPERATION_MAX_DEPTH).");
    expect(refusal.extensions).toMatchObject({ maximum: 6, found: 7 });
    const deeper = `{ offers(first: 1) { edges { node { reviews(first: 1) { edges { node { offer { reviews(first: 1) { edges { node { id } } } } } } } } } } }`;
    expect((await expectRefused(deeper, "depth")).extensions.found).toBe(11);
  });

  it("hundreds of aliases", async () => {
    const aliases = Array.from({ length: 300 }, (_, i) => `a${i}: totalCount`).join(" ");
    const refusal = await expectRefused(`{ offers(first: 1) { ${aliases} } }`, "aliases");
    expect(refusal.message).toBe("Operation too complex: its number of aliases is 300, above the limit of 15 (OPERATION_MAX_ALIASES).");
  });

  it("aliased logins: 20 attempts in one mutation are refused before any reaches the users subgraph", async () => {
    const logins = Array.from({ length: 20 }, (_, i) => `l${i}: login(email: "victim@agora.test", password: "guess${i}") { accessToken }`);
    const refusal = await expectRefused(`mutation { ${logins.join(" ")} }`, "aliases");
    expect(refusal.extensions).toMatchObject({ maximum: 15, found: 20 });
  });

  it("too many root fields", async () => {
    const fields = Array.from({ length: 11 }, (_, i) => `f${i}: offers(first: 1) { totalCount }`).join(" ");
    const refusal = await expectRefused(`{ ${fields} }`, "rootFields");
    expect(refusal.message).toBe(
      "Operation too complex: its number of root fields is 11, above the limit of 10 (OPERATION_MAX_ROOT_FIELDS).",
    );
    // Fragments do not hide root fields.
    const spread = Array.from({ length: 6 }, (_, i) => `g${i}: offers(first: 1) { totalCount }`).join(" ");
    expect(
      (
        await expectRefused(
          `{ f: offers(first: 1) { totalCount } ...A ...B } fragment A on Query { ${spread} } fragment B on Query { me { id } offer(id: "x") { id } h: me { id } i: me { id } }`,
          "rootFields",
        )
      ).extensions.found,
    ).toBe(11);
  });

  it("51 directives", async () => {
    const fragments = Array.from({ length: 51 }, () => `... on OfferConnection @include(if: true) { totalCount }`).join(" ");
    const refusal = await expectRefused(`{ offers(first: 1) { ${fragments} } }`, "directives");
    expect(refusal.message).toBe(
      "Operation too complex: its number of directives is 51, above the limit of 50 (OPERATION_MAX_DIRECTIVES).",
    );
  });

  it("thousands of tokens", async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `"${i}"`).join(" ");
    const refusal = await expectRefused(`query($ids: [ID!] = [${ids}]) { offers(first: 1) { totalCount } }`, "tokens");
    // `query ( $ ids : [ ID ! ] = [` is 11 tokens, the list 3000, `] ) { offers ( first : 1 ) { totalCount } }` 13.
    expect(refusal.message).toBe("Operation too complex: its number of tokens is 3024, above the limit of 1000 (OPERATION_MAX_TOKENS).");
  });

  it("first: 99999999 nested in lists", async () => {
    const refusal = await expectRefused(
      `{ offers(first: 99999999) { edges { node { seller { offers(first: 99999999) { totalCount } } } } } }`,
      "cost",
    );
    expect(refusal.extensions.maximum).toBe(5000);
    expect(refusal.extensions.found).toBeGreaterThan(99999999 * 99999999);
    expect(refusal.message).toMatch(/^Operation too complex: its estimated cost is \d+, above the limit of 5000 \(OPERATION_MAX_COST\)\.$/);
  });

  it("a cost over the limit, also when the list size comes in a variable", async () => {
    // n offers × (connection + edge + node + reviews without `first`: 20 × connection) = 23 n: 217 → 4991, 218 → 5014.
    const query = `query($n: Int) { offers(first: $n) { edges { node { reviews { totalCount } } } } }`;
    const before = gw.subgraphCalls();
    expect((await gw.post({ query, variables: { n: 217 } })).status).toBe(200);
    expect(gw.subgraphCalls()).toBeGreaterThan(before);
    const refusal = await expectRefused(query, "cost", { n: 218 });
    expect(refusal.message).toBe("Operation too complex: its estimated cost is 5014, above the limit of 5000 (OPERATION_MAX_COST).");
  });

  it("counts refusals by limit in /metrics", async () => {
    const metrics = await (await fetch(gw.url.replace(/\/graphql$/, "/metrics"))).text();
    for (const limit of ["depth", "aliases", "rootFields", "directives", "tokens", "cost"]) {
      expect(metrics).toMatch(new RegExp(`agora_gateway_operation_limit_hits_total\\{limit="${limit}",service="gateway"\\} [1-9]`));
    }
  });
});

describe("batched requests", () => {
  it("are refused when batching is off (the default), nothing executed", async () => {
    const before = gw.subgraphCalls();
    const { status, body } = await gw.post([{ query: "{ offers(first: 1) { totalCount } }" }, { query: "{ me { id } }" }]);
    expect(status).toBe(400);
    const error = body.errors[0];
    expect(error.extensions.reason ?? error.extensions.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("Operation batching disabled.");
    expect(gw.subgraphCalls()).toBe(before);
  });

  it("when enabled, check every operation of the batch against the limits", async () => {
    const batching = await startStubGateway({ BATCHED_REQUESTS_ENABLED: "true", OPERATION_MAX_DEPTH: "6" });
    try {
      const deep = `{ offers(first: 1) { edges { node { seller { offers(first: 1) { edges { cursor } } } } } } }`;
      const { status, body } = await batching.post([{ query: "{ offers(first: 1) { totalCount } }" }, { query: deep }]);
      expect(status).toBe(400);
      expect(body).toHaveLength(2);
      expect(body[0].errors?.[0]?.extensions?.code).not.toBe("OPERATION_TOO_COMPLEX");
      expect(body[1].errors[0].extensions).toMatchObject({ code: "OPERATION_TOO_COMPLEX", limit: "depth", found: 7 });
      expect(batching.subgraphCalls()).toBe(1);
    } finally {
      await batching.stop();
    }
  });
});

describe("production mode", () => {
  let prod: StubGateway;
  beforeAll(async () => {
    prod = await startStubGateway({
      NODE_ENV: "production",
      INTERNAL_SECRET: "production-internal-secret-0123456789",
      JWT_SECRET: "production-jwt-secret-0123456789-abcdef",
    });
  });
  afterAll(() => prod.stop());

  it("refuses introspection (development and tests allow it)", async () => {
    const query = `{ __schema { queryType { name } } }`;
    expect((await gw.post({ query })).body.data.__schema.queryType.name).toBe("Query");
    const { status, body } = await prod.post({ query });
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors[0].message).toMatch(/introspection is not allowed/);
    expect((await prod.post({ query: `{ __type(name: "Offer") { name } }` })).status).toBe(400);
  });

  it("hides field suggestions, which would leak the schema", async () => {
    const query = `{ offerz(first: 1) { totalCount } }`;
    expect((await gw.post({ query })).body.errors[0].message).toMatch(/Did you mean "offer" or "offers"\?/);
    const { status, body } = await prod.post({ query });
    expect(status).toBe(400);
    expect(body.errors[0].message).toBe('Cannot query field "offerz" on type "Query".');
    // Variables are coerced after validation, and their errors would suggest names too.
    const variables = {
      query: `query($f: OffersFilter) { offers(first: 1, filter: $f) { totalCount } }`,
      variables: { f: { categry: "x" } },
    };
    expect((await gw.post(variables)).body.errors[0].message).toMatch(/Did you mean "category"\?/);
    const coerced = await prod.post(variables);
    expect(coerced.status).toBe(400);
    expect(coerced.body.errors[0].message).toMatch(/Field "categry" is not defined by type "OffersFilter"\.$/);
  });

  it("sends no stack traces", async () => {
    const { body } = await prod.post({ query: `{ offers(first: 1) { totalCount } }` });
    expect(body.errors.length).toBeGreaterThan(0);
    for (const error of body.errors) expect(JSON.stringify(error)).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+/);
  });

  it("shows the production landing page instead of Sandbox", async () => {
    // Apollo's landing pages carry their settings as `window.landingPage = "<URI-encoded JSON>"`.
    const settings = async (url: string) => {
      const html = await (await fetch(url, { headers: { accept: "text/html" } })).text();
      const encoded = /window\.landingPage = "([^"]+)"/.exec(html)?.[1];
      return { html, settings: encoded ? JSON.parse(decodeURIComponent(encoded)) : null };
    };
    const local = await settings(gw.url);
    expect(local.html).toMatch(/embeddable-sandbox\.cdn\.apollographql\.com\/[^"]+\.js/);
    const production = await settings(prod.url);
    expect(production.settings).toEqual({ isProd: true, footer: false });
    expect(production.html).not.toMatch(/embeddable-sandbox\.cdn\.apollographql\.com\/[^"]+\.js/);
  });
});

describe("the cost model", () => {
  it("gives the figures the README quotes", async () => {
    // With a maximum of 1 every refusal reports the cost it found.
    const costly = await startStubGateway({ OPERATION_MAX_COST: "1" });
    try {
      const costOf = async (query: string) => {
        const { body } = await costly.post({ query });
        return body.errors?.find((e: any) => e.extensions?.limit === "cost")?.extensions.found ?? 1;
      };
      expect(await costOf(`{ offers(first: 1) { totalCount } }`)).toBe(1);
      const federated =
        "{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }";
      expect(await costOf(federated)).toBe(90);
      expect(await costOf(`mutation { a: logout(refreshToken: "x") b: logout(refreshToken: "y") }`)).toBe(20);
    } finally {
      await costly.stop();
    }
  });
});

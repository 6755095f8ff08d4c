/**
 * Automatic persisted queries with Apollo Client's own persisted-queries link, over GET and POST,
 * shared by two gateways through Redis: a hash registered through gateway A runs on gateway B.
 */
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ label: "apq", seed: { users: 5, offers: 6, reviewsPerOffer: 1 } });
});
afterAll(() => stack.stop());

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Counts what Apollo Client sends, so the test sees the miss, the retry with text, and the GET. */
function countingFetch() {
  const sent: { method: string; hasQueryText: boolean }[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
    const body = typeof init?.body === "string" ? init.body : "";
    sent.push({ method: init?.method ?? "GET", hasQueryText: /[?&]query=/.test(url) || body.includes('"query"') });
    return fetch(input, init);
  };
  return { sent, fetcher };
}

function client(uri: string, useGET: boolean, fetcher: typeof fetch) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: useGET }).concat(
      // Apollo Client sends no content-type on GET; this header satisfies the gateway's CSRF prevention.
      new HttpLink({ uri, fetch: fetcher, headers: { "apollo-require-preflight": "true" } }),
    ),
  });
}

// One query per case: a hash registered by an earlier case would already be known.
const offersQuery = (first: number) => gql`
  query ApqOffers {
    offers(first: ${first}) {
      totalCount
      edges {
        node {
          title
          seller {
            displayName
          }
        }
      }
    }
  }
`;

test.each([
  ["GET", true, 2],
  ["POST", false, 3],
])("Apollo Client's link over %s: a miss, one retry with the text, then hashes only", async (_method, useGET, first) => {
  const query = offersQuery(first);
  const { sent, fetcher } = countingFetch();
  const initial = await client(stack.gatewayUrl, useGET, fetcher).query({ query, fetchPolicy: "network-only" });
  expect((initial.data as { offers: { totalCount: number } }).offers.totalCount).toBeGreaterThan(0);
  // The first call sends the hash only, hears PERSISTED_QUERY_NOT_FOUND, and retries with the text
  // (Apollo Client retries hash-and-text over POST).
  expect(sent.map((s) => s.hasQueryText)).toEqual([false, true]);
  expect(sent[0]?.method).toBe(useGET ? "GET" : "POST");

  // A new client (empty cache) on the other gateway: the hash is already known, so no text is sent.
  const other = await stack.startGateway();
  const second = countingFetch();
  const result = await client(other.url, useGET, second.fetcher).query({ query, fetchPolicy: "network-only" });
  expect(result.data).toEqual(initial.data);
  expect(second.sent).toEqual([{ method: useGET ? "GET" : "POST", hasQueryText: false }]);
});

test("an unknown hash answers PERSISTED_QUERY_NOT_FOUND, a wrong hash for a text is refused", async () => {
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256("{ never { sent } }") } });
  const miss = await fetch(`${stack.gatewayUrl}?extensions=${encodeURIComponent(extensions)}`, {
    headers: { "apollo-require-preflight": "true" },
  });
  expect((await miss.json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");

  const mismatch = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ me { id } }", extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ other }") } } }),
  });
  expect(mismatch.status).toBe(400);
  const [error] = (await mismatch.json()).errors;
  expect(error.message).toMatch(/sha does not match/);
  expect(error.extensions.code).toBe("BAD_REQUEST");
});

test("with APQ_ENABLED=false the gateway says PERSISTED_QUERY_NOT_SUPPORTED", async () => {
  const off = await stack.startGateway({ APQ_ENABLED: "false" });
  const response = await fetch(off.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ a }") } } }),
  });
  expect((await response.json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
});

/**
 * In-flight deduplication: identical queries in flight share one fetch and every waiter gets the
 * answer (or the error) as its own copy; mutations and different callers are never merged. The
 * wrapper is driven with a source whose answers the test releases, then through the real gateway.
 */
import { graphqlRequest } from "@agora/platform/testing";
import { deduplicateQueries } from "../../src/datasource/deduplicate-queries.js";
import { startStack, type Stack } from "../support/stack.js";

type Options = {
  request: { query: string; variables?: Record<string, unknown> };
  context?: { identity: { userId: string; role: "USER" } | null };
};

function heldSource() {
  const calls: Options[] = [];
  const waiting: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  const source = {
    process: (options: Options) =>
      new Promise((resolve, reject) => {
        calls.push(options);
        waiting.push({ resolve, reject });
      }),
  };
  return { source: deduplicateQueries("offers", source), calls, waiting };
}

const alice = { identity: { userId: "alice", role: "USER" as const } };
const bob = { identity: { userId: "bob", role: "USER" as const } };
const query = (q: string, context: Options["context"] = alice, variables = { first: 2 }): Options => ({
  request: { query: q, variables },
  context,
});

test("identical queries in flight share one fetch; each waiter gets an equal, separate answer", async () => {
  const { source, calls, waiting } = heldSource();
  const answers = [1, 2, 3].map(() => source.process(query("query Q($first:Int){offers(first:$first){totalCount}}")));
  expect(calls).toHaveLength(1);
  waiting[0]?.resolve({ data: { offers: { totalCount: 7 } } });
  const results = await Promise.all(answers);
  for (const result of results) expect(result).toEqual({ data: { offers: { totalCount: 7 } } });
  expect(results[1]).not.toBe(results[0]); // copies: the gateway merges answers in place
  // Once answered, the next identical query is fetched again (no caching).
  void source.process(query("query Q($first:Int){offers(first:$first){totalCount}}"));
  expect(calls).toHaveLength(2);
});

test("every waiter gets the error of the shared fetch", async () => {
  const { source, waiting } = heldSource();
  const answers = [1, 2].map(() => source.process(query("{ offers { totalCount } }")));
  waiting[0]?.reject(new Error("offers is down"));
  for (const answer of answers) await expect(answer).rejects.toThrow("offers is down");
});

test("never merges mutations, different callers, or different variables", async () => {
  const { source, calls } = heldSource();
  void source.process(query("mutation { archiveOffer(id: 1) { id } }"));
  void source.process(query("mutation { archiveOffer(id: 1) { id } }"));
  void source.process(query("{ me { id } }", alice));
  void source.process(query("{ me { id } }", bob));
  void source.process(query("{ me { id } }", { identity: null }));
  void source.process(query("query Q($first:Int){offers(first:$first){totalCount}}", alice, { first: 2 }));
  void source.process(query("query Q($first:Int){offers(first:$first){totalCount}}", alice, { first: 3 }));
  expect(calls).toHaveLength(7);
});

describe("through the real gateway", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ label: "dedup", seed: { users: 10, offers: 12, reviewsPerOffer: 2 } });
  });
  afterAll(() => stack.stop());

  test("concurrent identical federated queries all get the full, correct answer, with fewer subgraph fetches", async () => {
    const federated =
      "{ offers(first: 5) { totalCount edges { node { title seller { displayName } rating { average count } reviews(first: 2) { edges { node { rating author { displayName } } } } } } } }";
    const alone = await graphqlRequest(stack.gatewayUrl, federated);
    expect(alone.errors).toBeUndefined();
    const together = await Promise.all(Array.from({ length: 20 }, () => graphqlRequest(stack.gatewayUrl, federated)));
    for (const result of together) expect(result).toEqual(alone);
    const metrics = await (await fetch(stack.gatewayUrl.replace(/\/graphql$/, "/metrics"))).text();
    const merged = metrics
      .split("\n")
      .filter((line) => line.startsWith("agora_gateway_subgraph_fetches_deduplicated_total{"))
      .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    expect(merged).toBeGreaterThan(0);
  });
});

/**
 * The subgraph fetch against real local servers: deadlines, the caller's abort signal, the
 * breaker, and which failures are sent again (only queries whose connection never opened).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { createLogger } from "@agora/platform";
import { createSubgraphBreakers } from "../../src/datasource/subgraph-breaker.js";
import { CallerAbortedError, SubgraphCallError } from "../../src/datasource/subgraph-errors.js";
import { createSubgraphFetch } from "../../src/datasource/subgraph-fetch.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()) && s.closeAllConnections())));
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port = 0,
): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, requests: () => count };
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function setup(options: { timeoutMs?: number; connectRetries?: number; threshold?: number; onRetry?: () => void } = {}) {
  const breaker = createSubgraphBreakers(
    ["reviews"],
    { failureThreshold: options.threshold ?? 5, halfOpenAfterMs: 60_000 },
    new Registry(),
    createLogger("test", "silent"),
  ).get("reviews")!;
  let retries = 0;
  const subgraphFetch = createSubgraphFetch({
    service: "reviews",
    timeoutMs: options.timeoutMs ?? 2000,
    connectRetries: options.connectRetries ?? 1,
    breaker,
    onRetry: () => {
      retries++;
      options.onRetry?.();
    },
  });
  return { breaker, subgraphFetch, retries: () => retries };
}

const post = { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' };
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "succeeded",
    (error: unknown) =>
      error instanceof SubgraphCallError ? error.failure : error instanceof CallerAbortedError ? "caller-aborted" : String(error),
  );

describe("the subgraph fetch", () => {
  it("gives up on a subgraph that does not answer within its deadline", async () => {
    const hung = await serve(() => undefined);
    const { subgraphFetch } = setup({ timeoutMs: 200 });
    expect(await failureOf(subgraphFetch(hung.url, post, { retryable: true }))).toBe("timeout");
    expect(hung.requests()).toBe(1);
  });

  it("stops when the caller goes away, and does not hold that against the subgraph's breaker", async () => {
    const hung = await serve(() => undefined);
    const { subgraphFetch, breaker } = setup({ threshold: 2 });
    for (let i = 0; i < 3; i++) {
      const caller = new AbortController();
      setTimeout(() => caller.abort(), 50);
      expect(await failureOf(subgraphFetch(hung.url, post, { retryable: true, signal: caller.signal }))).toBe("caller-aborted");
    }
    expect(breaker.state()).toBe("closed");
  });

  it("sends a query again when its connection was refused, and it succeeds once the subgraph listens", async () => {
    const port = await closedPort();
    let started: Promise<unknown> | undefined;
    const { subgraphFetch, retries } = setup({
      // The subgraph comes up between the refused attempt and the retry.
      onRetry: () => {
        started = serve((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"data":{}}'), port);
      },
    });
    const response = await subgraphFetch(`http://127.0.0.1:${port}/graphql`, post, { retryable: true });
    await started;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: {} });
    expect(retries()).toBe(1);
  });

  it("never sends a mutation again, even when its connection was refused", async () => {
    const port = await closedPort();
    const { subgraphFetch, retries } = setup({ connectRetries: 3 });
    expect(await failureOf(subgraphFetch(`http://127.0.0.1:${port}/graphql`, post, { retryable: false }))).toBe("refused");
    expect(retries()).toBe(0);
  });

  it("never sends a query again once it may have reached the subgraph (connection dropped mid-request)", async () => {
    const dropping = await serve((req) => req.socket.destroy());
    const { subgraphFetch, retries } = setup({ connectRetries: 3 });
    expect(await failureOf(subgraphFetch(dropping.url, post, { retryable: true }))).toBe("reset");
    expect(dropping.requests()).toBe(1);
    expect(retries()).toBe(0);
  });

  it("opens the breaker after consecutive 503 answers and then fails fast without calling the subgraph", async () => {
    const unavailable = await serve((_req, res) => res.writeHead(503).end());
    const { subgraphFetch, breaker } = setup({ threshold: 2 });
    expect(await failureOf(subgraphFetch(unavailable.url, post, { retryable: true }))).toBe("status");
    expect(await failureOf(subgraphFetch(unavailable.url, post, { retryable: true }))).toBe("status");
    expect(breaker.state()).toBe("open");
    expect(await failureOf(subgraphFetch(unavailable.url, post, { retryable: true }))).toBe("open");
    expect(unavailable.requests()).toBe(2);
  });
});

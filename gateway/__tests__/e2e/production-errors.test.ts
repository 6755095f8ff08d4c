/**
 * NODE_ENV=production: what the gateway tells a caller when things break inside. A stand-in
 * subgraph leaks on purpose (driver text, file paths, stack traces, as a subgraph in development
 * mode or a buggy one would) and one subgraph is down; nothing of it may reach the answer.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, type RunningServer } from "@agora/platform";
import { loadGatewayConfig } from "../../src/config.js";
import { createGateway, type Gateway } from "../../src/server.js";

const leakedText = 'relation "offers.offers" does not exist (postgresql://agora:hunter2@10.0.3.7:5432/agora)';
const leakedStack = ["Error: boom", "    at Client.query (/srv/agora/node_modules/pg/lib/client.js:545:17)"];

/** Answers readiness with 200 and every GraphQL request with what `reply` says. */
function leakySubgraph(reply: () => { status: number; body: string; type?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/health/ready") return void res.writeHead(200).end("{}");
    req.resume();
    req.on("end", () => {
      const { status, body, type } = reply();
      res.writeHead(status, { "content-type": type ?? "application/json" }).end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

let next: () => { status: number; body: string; type?: string };
let subgraph: Server;
let downUrl: string;
let gateway: Gateway;
let running: RunningServer;

beforeAll(async () => {
  subgraph = await leakySubgraph(() => next());
  // A port that was free a moment ago and is closed now: the users subgraph is "down".
  const closed = await leakySubgraph(() => ({ status: 500, body: "" }));
  downUrl = urlOf(closed);
  await new Promise((resolve) => closed.close(resolve));
  const config = loadGatewayConfig({
    NODE_ENV: "production",
    INTERNAL_SECRET: "Qm3v9Zr7Lx2Tb8Nw4Hc6Jp1Ks5Dg0Fy-internal",
    JWT_SECRET: "Wq8e2Rt6Yu4Io0Pa3Sd7Fg1Hj5Kl9Zx-access",
    USERS_URL: downUrl,
    OFFERS_URL: urlOf(subgraph),
    REVIEWS_URL: urlOf(subgraph),
    JOBS_URL: urlOf(subgraph),
  });
  gateway = await createGateway(config, createLogger("production-errors", "silent"));
  running = await gateway.listen(0, "127.0.0.1");
});
afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => subgraph?.close(resolve));
});

async function query(document: string) {
  const response = await fetch(`${running.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: document }),
  });
  return { status: response.status, text: await response.text() };
}

const expectNoInternals = (text: string) => {
  expect(text).not.toMatch(/stacktrace|node_modules|\.js:\d+|\.ts:\d+|hunter2|10\.0\.3\.7|does not exist|ECONNREFUSED|fetch failed/);
  expect(text).not.toContain("127.0.0.1");
};

describe("in production the gateway's answers carry no internals", () => {
  it("/health/ready with a subgraph down names it and its state only", async () => {
    const response = await fetch(`${running.url}/health/ready`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expectNoInternals(text);
    expect(text).not.toContain(String(new URL(downUrl).port));
    const report = JSON.parse(text).errors[0].extensions;
    // States only (gateway/src/http/readiness.ts): no URL, no error text.
    expect(report.subgraphs.users).toEqual({ state: "down", breaker: "closed", critical: true });
    expect(report.subgraphs.offers).toEqual({ state: "up", status: 200, breaker: "closed", critical: true });
  });

  it("an internal error from a subgraph says only the generic message, with no stack trace", async () => {
    next = () => ({
      status: 200,
      body: JSON.stringify({
        data: null,
        errors: [{ message: leakedText, extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: leakedStack } }],
      }),
    });
    const { text } = await query("{ offers(first: 1) { totalCount } }");
    expectNoInternals(text);
    const body = JSON.parse(text);
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: "Something went wrong on our side. It has been logged; please try again.",
        extensions: { code: "INTERNAL_SERVER_ERROR" },
      }),
    ]);
  });

  it("a subgraph failing with an HTML error page becomes the generic internal error", async () => {
    next = () => ({ status: 500, type: "text/html", body: `<pre>${leakedText}\n${leakedStack.join("\n")}</pre>` });
    const { text } = await query("{ offers(first: 1) { totalCount } }");
    expectNoInternals(text);
    expect(JSON.parse(text).errors[0]).toMatchObject({
      message: "Something went wrong on our side. It has been logged; please try again.",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
  });

  it("public errors keep their code and message but lose any stack trace", async () => {
    next = () => ({
      status: 200,
      body: JSON.stringify({
        data: null,
        errors: [{ message: "Offer 1 was not found.", extensions: { code: "NOT_FOUND", stacktrace: leakedStack } }],
      }),
    });
    const notFound = await query("{ offers(first: 1) { totalCount } }");
    expectNoInternals(notFound.text);
    expect(JSON.parse(notFound.text).errors[0]).toMatchObject({ message: "Offer 1 was not found.", extensions: { code: "NOT_FOUND" } });

    const invalid = await query("{ offers(first: 1) { colour } }");
    expectNoInternals(invalid.text);
    expect(JSON.parse(invalid.text).errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

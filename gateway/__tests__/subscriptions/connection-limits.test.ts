/**
 * What a socket may do: sign in through connectionParams (an expired token closes the socket with
 * 4401 and a client reconnects with a fresh one), subscribe to nothing private anonymously, and stay
 * within the limits (subscriptions per socket, sockets per user, message size, slow consumers);
 * a gateway that stops closes its sockets with 1001 "going away".
 */
import { createLogger, createRedis, issueAccessToken } from "@agora/platform";
import { publishJobEvent, type JobSnapshot } from "@agora/platform/live-events";
import pg from "pg";
import WebSocket from "ws";
import { createGateway } from "../../src/server.js";
import { accessTokens, startStack, type Stack } from "../support/stack.js";
import { liveClient, sleep, until, wsUrl, type LiveClient } from "./live-client.js";

let stack: Stack;
let sql: pg.Client;
let alice: { accessToken: string; userId: string };
let jobId: string;
const clients: LiveClient[] = [];
const open = (...args: Parameters<typeof liveClient>) => {
  const client = liveClient(...args);
  clients.push(client);
  return client;
};
const jobQuery = `subscription($id: ID!) { jobUpdated(id: $id) { id status } }`;

beforeAll(async () => {
  stack = await startStack({
    label: "livelimits",
    seed: { users: 3, offers: 1, reviewsPerOffer: 0 },
    gatewayEnv: {
      SUBSCRIPTIONS_MAX_PER_SOCKET: "2",
      SUBSCRIPTIONS_MAX_SOCKETS_PER_USER: "3",
      SUBSCRIPTIONS_MAX_MESSAGE_BYTES: "2048",
      SUBSCRIPTIONS_MAX_BUFFERED_BYTES: "65536",
      SUBSCRIPTIONS_MAX_QUEUED_EVENTS: "5",
    },
  });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  alice = await stack.login("alice@agora.test");
  jobId = (
    await sql.query(
      "INSERT INTO jobs.jobs (id, type, status, input, requested_by) VALUES (gen_random_uuid(), 'NOOP', 'PENDING', '{}', $1) RETURNING id",
      [alice.userId],
    )
  ).rows[0].id;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  // Sockets are released when the gateway sees them close.
  await until("sockets released", () => stack.gateway.subscriptions.socketCount === 0);
});
afterAll(async () => {
  await sql.end();
  await stack.stop();
});

describe("signing in", () => {
  it("closes the socket with 4401 when the token expires; the client reconnects with a fresh token", async () => {
    // JWT expiry has whole seconds: a 1 s token issued late in a second lived a few ms, sometimes
    // less than the first payload took on a loaded machine. 3 s leaves room for it.
    const shortToken = await issueAccessToken({ userId: alice.userId, role: "USER" }, { ...accessTokens, ttlSeconds: 3 });
    const client = open(stack.gatewayUrl, shortToken);
    const job = client.subscribe(jobQuery, { id: jobId });
    await until("first state", () => job.payloads.length === 1);
    await until("closed at expiry", () => client.closes.length === 1, 15_000);
    expect(client.closes[0]!.code).toBe(4401);
    // graphql-ws's client treats 4401 as final; the application signs in again and subscribes anew.
    const fresh = open(stack.gatewayUrl, alice.accessToken);
    const again = fresh.subscribe(jobQuery, { id: jobId });
    await until("state after reconnecting", () => again.payloads.length === 1);
    expect(again.payloads[0].jobUpdated).toEqual({ id: jobId, status: "PENDING" });
  });

  it("refuses a token that does not verify with 4401", async () => {
    const client = open(stack.gatewayUrl, "not-a-token");
    await until("closed", () => client.closes.length === 1);
    expect(client.closes[0]!.code).toBe(4401);
  });

  it("lets an anonymous socket subscribe to nothing private", async () => {
    const client = open(stack.gatewayUrl);
    const attempts = [client.subscribe(jobQuery, { id: jobId }), client.subscribe(`subscription { notifications { id } }`)];
    await until("refused", () => attempts.every((a) => a.errors.length > 0));
    for (const attempt of attempts) {
      expect(attempt.payloads).toEqual([]);
      expect(attempt.errors[0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    }
  });
});

describe("limits", () => {
  it("refuses a subscription beyond SUBSCRIPTIONS_MAX_PER_SOCKET and keeps the others", async () => {
    const client = open(stack.gatewayUrl, alice.accessToken);
    const [first, second] = [client.subscribe(jobQuery, { id: jobId }), client.subscribe(jobQuery, { id: jobId })];
    await until("two subscribed", () => first.payloads.length === 1 && second.payloads.length === 1);
    const third = client.subscribe(jobQuery, { id: jobId });
    await until("third refused", () => third.errors.length > 0);
    expect(third.errors[0]).toMatchObject({ extensions: { code: "RATE_LIMITED" } });
    expect(client.closes).toEqual([]);
  });

  it("closes a socket beyond SUBSCRIPTIONS_MAX_SOCKETS_PER_USER with 4029", async () => {
    const sockets = [1, 2, 3].map(() => open(stack.gatewayUrl, alice.accessToken));
    const subscribed = sockets.map((s) => s.subscribe(jobQuery, { id: jobId }));
    await until("three subscribed", () => subscribed.every((s) => s.payloads.length === 1));
    const fourth = open(stack.gatewayUrl, alice.accessToken);
    await until("fourth closed", () => fourth.closes.length === 1);
    expect(fourth.closes[0]!.code).toBe(4029);
    expect(sockets.every((s) => s.closes.length === 0)).toBe(true);
  });

  it("closes a socket that sends a message larger than SUBSCRIPTIONS_MAX_MESSAGE_BYTES with 1009", async () => {
    const client = open(stack.gatewayUrl, alice.accessToken);
    client.subscribe(`subscription { notifications { id ${"message ".repeat(400)} } }`);
    await until("closed", () => client.closes.length === 1);
    expect(client.closes[0]!.code).toBe(1009);
  });

  it("drops a consumer that stops reading instead of queueing for it", async () => {
    const socket = new WebSocket(wsUrl(stack.gatewayUrl), "graphql-transport-ws");
    const messages: any[] = [];
    let closeCode: number | null = null;
    socket.on("message", (data) => void messages.push(JSON.parse(String(data))));
    socket.on("close", (code) => void (closeCode = code));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${alice.accessToken}` } }));
    await until("ack", () => messages.some((m) => m.type === "connection_ack"));
    socket.send(
      JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: { query: `subscription($id: ID!) { jobUpdated(id: $id) { status result } }`, variables: { id: jobId } },
      }),
    );
    await until("first state", () => messages.some((m) => m.type === "next"));
    // The client stops reading; the gateway keeps getting events with large payloads.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = {
      redis: createRedis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"),
      keyPrefix: stack.keyPrefix,
      log: createLogger("test", "silent"),
    };
    const big = "x".repeat(256 * 1024);
    try {
      for (let i = 1; i <= 200 && stack.gateway.subscriptions.socketCount > 0; i++) {
        const snapshot: JobSnapshot = {
          jobId,
          userId: alice.userId,
          status: "PROCESSING",
          progress: i % 100,
          attempts: i,
          error: null,
          result: { big },
          startedAt: null,
          finishedAt: null,
          updatedAt: new Date(Date.UTC(2030, 0, 1) + i).toISOString(),
        };
        await publishJobEvent(publisher, snapshot);
        await sleep(5);
      }
      await until("dropped", () => stack.gateway.subscriptions.socketCount === 0);
    } finally {
      publisher.redis.disconnect();
      (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    }
    await until("client sees the close", () => closeCode !== null);
    // 4013 when the close frame got through, 1006 when the gateway had to cut the connection.
    expect([4013, 1006]).toContain(closeCode);
    expect(messages.filter((m) => m.type === "next").length).toBeLessThan(200);
  });
});

describe("stopping", () => {
  it("closes open sockets with 1001 going away before the HTTP drain", async () => {
    const other = await createGateway(stack.gatewayConfig, createLogger("gateway-b", "silent"));
    const url = `${(await other.listen(0, "127.0.0.1")).url}/graphql`;
    const client = open(url, alice.accessToken);
    const job = client.subscribe(jobQuery, { id: jobId });
    await until("subscribed", () => job.payloads.length === 1);
    await other.stop();
    await until("closed", () => client.closes.length === 1);
    expect(client.closes[0]!.code).toBe(1001);
  });
});
